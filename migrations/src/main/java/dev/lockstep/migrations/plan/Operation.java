package dev.lockstep.migrations.plan;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * One typed change between the deployed definition and the next one.
 *
 * @param kind what changes
 * @param target the dimension or fact changed (for a rule: the rule's target); empty for the pipeline's own
 *     settings and source tables
 * @param item the column, measure, lookup, reference, rule, source table or setting changed; empty when the
 *     operation is about the target itself
 * @param before the deployed value where one is shown (an expression's SQL, a type, an SCD type, ...)
 * @param after the next value where one is shown
 * @param impact what the change does to rows already loaded
 * @param note what deploying it does besides DDL ("re-masks the quarantine ledger ..."); empty when nothing
 * @param manualSteps how to make the change by hand; non-empty exactly when {@code impact} is {@link Impact#REFUSED}
 */
public record Operation(Kind kind, String target, String item, Optional<String> before, Optional<String> after,
        Impact impact, String note, List<String> manualSteps) {

    /** What an operation changes, in the order a plan lists a target's operations. */
    public enum Kind {
        /** {@code source.tables} gains a table: a new raw-layer table. */
        ADD_SOURCE_TABLE,
        /** {@code source.tables} loses a table: its raw-layer table is dropped. */
        DROP_SOURCE_TABLE,
        /** The time zone of date keys and of the expressions that read a date or a time changes (refused). */
        CHANGE_TIMEZONE,
        /** The warehouse schema is another one. */
        CHANGE_WAREHOUSE_SCHEMA,
        /** A runtime setting (connections, load, SLA, alerts, schema changes, snapshot, fan-out). */
        CHANGE_SETTING,
        /** A dimension is added. */
        ADD_DIMENSION,
        /** A fact is added. */
        ADD_FACT,
        /** A dimension is dropped. */
        DROP_DIMENSION,
        /** A fact is dropped. */
        DROP_FACT,
        /** A dimension or fact reads another source table ({@code from}). */
        CHANGE_SOURCE,
        /** A dimension's natural key changes. */
        CHANGE_KEY,
        /** A fact's grain changes. */
        CHANGE_GRAIN,
        /** A fact's {@code partition_by} changes. */
        CHANGE_PARTITIONING,
        /** A dimension changes SCD type (1 to 2 or 2 to 1). */
        CHANGE_SCD,
        /** An SCD 2 dimension tracks other columns. */
        CHANGE_TRACKED,
        /** {@code on_delete} changes. */
        CHANGE_ON_DELETE,
        /** The generated date dimension's range changes. */
        CHANGE_DATE_RANGE,
        /** A lookup is added. */
        ADD_LOOKUP,
        /** A lookup is dropped (expressions that used it show as their own changes). */
        DROP_LOOKUP,
        /** A lookup joins another table or on other columns. */
        CHANGE_LOOKUP,
        /** A fact gains a dimension reference: a new key column for loaded rows. */
        ADD_REFERENCE,
        /** A fact loses a dimension reference: its key column is dropped. */
        DROP_REFERENCE,
        /** A dimension reference names another dimension or other key expressions. */
        CHANGE_REFERENCE,
        /** A dimension attribute is renamed, declared with {@code renamed_from}. */
        RENAME_ATTRIBUTE,
        /** A measure is renamed, declared with {@code renamed_from}. */
        RENAME_MEASURE,
        /** A dimension attribute is added. */
        ADD_ATTRIBUTE,
        /** A measure is added. */
        ADD_MEASURE,
        /** A dimension attribute is dropped. */
        DROP_ATTRIBUTE,
        /** A measure is dropped. */
        DROP_MEASURE,
        /** An attribute's or measure's expression changes. */
        CHANGE_EXPRESSION,
        /** A column's PostgreSQL type changes (known only from the typed star schemas). */
        CHANGE_TYPE,
        /** A column becomes, or stops being, personal data ({@code pii}). */
        CHANGE_PII,
        /** A quality rule is added. */
        ADD_RULE,
        /** A quality rule is dropped. */
        DROP_RULE,
        /** A quality rule of the same name checks something else, or acts otherwise. */
        CHANGE_RULE,
        /** The definition's text changed, but nothing it defines did (comments, layout, key order). */
        COMMENT_ONLY
    }

    public Operation {
        requireNonNull(kind, "kind");
        requireNonNull(target, "target");
        requireNonNull(item, "item");
        requireNonNull(before, "before");
        requireNonNull(after, "after");
        requireNonNull(impact, "impact");
        requireNonNull(note, "note");
        manualSteps = List.copyOf(manualSteps);
        if ((impact == Impact.REFUSED) == manualSteps.isEmpty()) {
            throw new IllegalArgumentException(kind + " " + target + ": manual steps go with, and only with, "
                    + "a refused change");
        }
    }

    /** Returns an operation that shows no values. */
    static Operation of(Kind kind, String target, String item, Impact impact) {
        return new Operation(kind, target, item, Optional.empty(), Optional.empty(), impact, "", List.of());
    }

    /** Returns an operation from {@code before} to {@code after}; either may be null when there is none. */
    static Operation change(Kind kind, String target, String item, Object before, Object after, Impact impact) {
        return new Operation(kind, target, item, Optional.ofNullable(before).map(String::valueOf),
                Optional.ofNullable(after).map(String::valueOf), impact, "", List.of());
    }

    /** Returns a refused operation from {@code before} to {@code after} with the steps to do it by hand. */
    static Operation refused(Kind kind, String target, String item, Object before, Object after, List<String> steps) {
        return new Operation(kind, target, item, Optional.ofNullable(before).map(String::valueOf),
                Optional.ofNullable(after).map(String::valueOf), Impact.REFUSED, "", steps);
    }

    /** Returns a copy with {@code note}. */
    Operation withNote(String note) {
        return new Operation(kind, target, item, before, after, impact, note, manualSteps);
    }

    /** Returns one line for a plan: {@code customer.email: CHANGE_EXPRESSION email → lower(email) [REBUILD]}. */
    public String describe() {
        String where = target.isEmpty() ? item : item.isEmpty() ? target : target + "." + item;
        String values = before.isPresent() || after.isPresent()
                ? " " + before.orElse("(none)") + " → " + after.orElse("(none)") : "";
        return (where.isEmpty() ? "" : where + ": ") + kind + values + " [" + impact + "]";
    }
}
