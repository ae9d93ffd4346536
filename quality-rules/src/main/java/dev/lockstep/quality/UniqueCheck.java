package dev.lockstep.quality;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.OnFail;
import dev.lockstep.core.definition.UniqueRule;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code unique}: no two keys may hold the same values of the columns (null values never conflict). A row of the
 * batch conflicts with a row of another key in the batch, and with the current row of another key in the warehouse
 * that the batch does not change (the batch's keys release their old values). With {@code deduplicate} the current
 * owner keeps the value, else the key that claimed it first in the stream (and keeps it across its later changes);
 * the others are duplicates.
 */
public record UniqueCheck(UniqueRule rule) {

    public UniqueCheck {
        requireNonNull(rule, "rule");
    }

    /**
     * Returns the condition, over the batch's conformed row aliased {@code c}, true when the row fails: for
     * {@code deduplicate}, when it is a duplicate to divert.
     *
     * @param conformed the relation of the batch's conformed rows (with {@code _deleted}, {@code _lsn}, {@code _seq})
     * @param current the relation of the warehouse's current, live rows of the target
     * @param key the target's key columns (natural key or grain)
     */
    public String failing(String conformed, String current, List<String> key) {
        String notNull = rule.columns().stream().map(col -> "c." + RowCheck.column(col) + " IS NOT NULL")
                .collect(Collectors.joining(" AND "));
        String owner = "EXISTS (SELECT 1 FROM " + current + " w WHERE " + same("w", "c") + " AND " + other("w", "c", key)
                + " AND NOT EXISTS (SELECT 1 FROM " + conformed + " b WHERE " + key.stream()
                .map(k -> "b." + RowCheck.column(k) + " = w." + RowCheck.column(k)).collect(Collectors.joining(" AND "))
                + "))";
        String inBatch = "EXISTS (SELECT 1 FROM " + conformed + " o WHERE NOT o._deleted AND " + same("o", "c") + " AND "
                + other("o", "c", key) + (rule.onFail() == OnFail.DEDUPLICATE ? " AND (" + holds(current, "o", key)
                // o claimed the value before c's key first did in this batch: a key keeps a value across its changes
                + " OR NOT EXISTS (SELECT 1 FROM " + conformed + " f WHERE NOT f._deleted AND " + same("f", "c")
                + " AND " + sameKey("f", "c", key) + " AND (f._lsn, f._seq) <= (o._lsn, o._seq)))"
                + " AND NOT " + holds(current, "c", key) : "") + ")";
        return "(NOT c._deleted AND " + notNull + " AND (" + owner + " OR " + inBatch + "))";
    }

    /** Returns the reason recorded with a failing row. */
    public String reason() {
        return (rule.onFail() == OnFail.DEDUPLICATE ? "duplicate of " : "not unique: ")
                + String.join(", ", rule.columns()) + (rule.onFail() == OnFail.DEDUPLICATE
                ? " held by another key" : " also held by another key");
    }

    private String same(String a, String b) {
        return rule.columns().stream().map(col -> a + "." + RowCheck.column(col) + " = " + b + "." + RowCheck.column(col))
                .collect(Collectors.joining(" AND "));
    }

    /** Returns the condition that the key of {@code row} holds the value in the warehouse now: it owns it. */
    private String holds(String current, String row, List<String> key) {
        return "EXISTS (SELECT 1 FROM " + current + " h WHERE " + same("h", row) + " AND " + sameKey("h", row, key) + ")";
    }

    private static String sameKey(String a, String b, List<String> key) {
        return key.stream().map(k -> a + "." + RowCheck.column(k) + " = " + b + "." + RowCheck.column(k))
                .collect(Collectors.joining(" AND "));
    }

    private static String other(String a, String b, List<String> key) {
        return "(" + key.stream().map(k -> a + "." + RowCheck.column(k)).collect(Collectors.joining(", ")) + ") IS DISTINCT FROM ("
                + key.stream().map(k -> b + "." + RowCheck.column(k)).collect(Collectors.joining(", ")) + ")";
    }
}
