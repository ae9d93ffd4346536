package dev.lockstep.migrations.plan;

import static dev.lockstep.migrations.plan.Operation.Kind.ADD_ATTRIBUTE;
import static dev.lockstep.migrations.plan.Operation.Kind.ADD_DIMENSION;
import static dev.lockstep.migrations.plan.Operation.Kind.ADD_LOOKUP;
import static dev.lockstep.migrations.plan.Operation.Kind.ADD_MEASURE;
import static dev.lockstep.migrations.plan.Operation.Kind.ADD_REFERENCE;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_DATE_RANGE;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_EXPRESSION;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_GRAIN;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_KEY;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_LOOKUP;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_ON_DELETE;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_PARTITIONING;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_PII;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_REFERENCE;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_SCD;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_SOURCE;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_TRACKED;
import static dev.lockstep.migrations.plan.Operation.Kind.DROP_ATTRIBUTE;
import static dev.lockstep.migrations.plan.Operation.Kind.DROP_DIMENSION;
import static dev.lockstep.migrations.plan.Operation.Kind.DROP_LOOKUP;
import static dev.lockstep.migrations.plan.Operation.Kind.DROP_MEASURE;
import static dev.lockstep.migrations.plan.Operation.Kind.DROP_REFERENCE;
import static dev.lockstep.migrations.plan.Operation.Kind.RENAME_ATTRIBUTE;
import static dev.lockstep.migrations.plan.Operation.Kind.RENAME_MEASURE;

import dev.lockstep.core.definition.DateDimension;
import dev.lockstep.core.definition.DeletePolicy;
import dev.lockstep.core.definition.Dimension;
import dev.lockstep.core.definition.DimensionReference;
import dev.lockstep.core.definition.Fact;
import dev.lockstep.core.definition.Lookup;
import dev.lockstep.core.definition.ScdType;
import dev.lockstep.core.definition.SourceDimension;
import dev.lockstep.core.definition.SqlExpression;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/** The operations between two versions of one dimension or of one fact. */
final class TargetDiff {

    private TargetDiff() {}

    static void dimension(Dimension deployed, Dimension next, List<Operation> out) {
        if (deployed instanceof SourceDimension before && next instanceof SourceDimension after) {
            sourceDimension(before, after, out);
        } else if (deployed instanceof DateDimension before && next instanceof DateDimension after) {
            if (!before.equals(after)) {
                out.add(Operation.change(CHANGE_DATE_RANGE, after.name(), "", range(before), range(after),
                        Impact.ADDITIVE).withNote("days are generated for the new range; no day is removed"));
            }
        } else {
            out.add(Operation.of(DROP_DIMENSION, next.name(), "", Impact.DESTRUCTIVE)
                    .withNote("a generated date dimension and one built from a table are different tables"));
            out.add(Operation.of(ADD_DIMENSION, next.name(), "", Impact.ADDITIVE));
        }
    }

    private static void sourceDimension(SourceDimension before, SourceDimension after, List<Operation> out) {
        String name = after.name();
        if (!before.from().equals(after.from())) {
            out.add(Operation.refused(CHANGE_SOURCE, name, "from", before.from(), after.from(), ManualSteps
                    .rebuildBeside("dimension", name, after.tableName(), "new `from`", after.from().toString())));
        }
        if (!before.key().equals(after.key())) {
            out.add(Operation.refused(CHANGE_KEY, name, "key", before.key(), after.key(), ManualSteps
                    .rebuildBeside("dimension", name, after.tableName(), "new key", after.from().toString())));
        }
        scd(before, after, out);
        onDelete(name, before.onDelete(), after.onDelete(), out);
        lookups(name, before.lookup(), after.lookup(), out);
        Map<String, String> kept = columns(name, before.columns(), after.columns(), after.renamedFrom(),
                ADD_ATTRIBUTE, DROP_ATTRIBUTE, RENAME_ATTRIBUTE, out);
        if (before.scd() == ScdType.TYPE_2 && after.scd() == ScdType.TYPE_2) {
            List<String> trackedBefore = kept.entrySet().stream().filter(e -> before.tracked().contains(e.getValue()))
                    .map(Map.Entry::getKey).toList();
            List<String> trackedAfter = kept.keySet().stream().filter(after.tracked()::contains).toList();
            if (!trackedBefore.equals(trackedAfter)) {
                out.add(Operation.change(CHANGE_TRACKED, name, "tracked", trackedBefore, trackedAfter, Impact.ADDITIVE)
                        .withNote("versions from the switch on are cut on the new tracked columns; the versions "
                                + "already loaded stay (the raw layer holds current state only)"));
            }
        }
        after.key().stream().filter(before.key()::contains).forEach(k -> kept.putIfAbsent(k, k));
        kept.forEach((column, deployedName) -> {
            boolean wasPii = before.pii().contains(deployedName);
            boolean isPii = after.pii().contains(column);
            if (wasPii != isPii) {
                out.add(Operation.change(CHANGE_PII, name, column, wasPii, isPii, isPii ? Impact.REBUILD
                        : Impact.ADDITIVE).withNote(isPii
                        ? "masks `" + column + "` in the quarantine ledger's conformed rows at the switch (the "
                                + "rows quarantined from then on are masked as they are written)"
                        : "rows quarantined from the switch on show it; values already masked in the quarantine "
                                + "ledger stay masked"));
            }
        });
    }

    private static void scd(SourceDimension before, SourceDimension after, List<Operation> out) {
        if (before.scd() == after.scd()) {
            return;
        }
        boolean toType2 = after.scd() == ScdType.TYPE_2;
        out.add(Operation.change(CHANGE_SCD, after.name(), "scd", before.scd().number(), after.scd().number(),
                toType2 ? Impact.ADDITIVE : Impact.DESTRUCTIVE).withNote(toType2
                ? "adds valid_from, valid_to and is_current; each member's row becomes its first, current version "
                        + "(valid since -infinity): history starts at the switch"
                : "keeps each member's current version only, re-points facts at it and drops the other versions"));
    }

    private static void onDelete(String name, DeletePolicy before, DeletePolicy after, List<Operation> out) {
        if (before == after) {
            return;
        }
        boolean toHard = after == DeletePolicy.HARD;
        out.add(Operation.change(CHANGE_ON_DELETE, name, "on_delete", lower(before), lower(after),
                toHard ? Impact.DESTRUCTIVE : Impact.ADDITIVE).withNote(toHard
                ? "rows already marked is_deleted are deleted" : "rows deleted before stay deleted"));
    }

    static void fact(Fact before, Fact after, List<Operation> out) {
        String name = after.name();
        String from = after.from().toString();
        if (!before.from().equals(after.from())) {
            out.add(Operation.refused(CHANGE_SOURCE, name, "from", before.from(), after.from(),
                    ManualSteps.rebuildBeside("fact", name, after.tableName(), "new `from`", from)));
        }
        if (!before.grain().equals(after.grain())) {
            out.add(Operation.refused(CHANGE_GRAIN, name, "grain", before.grain(), after.grain(),
                    ManualSteps.rebuildBeside("fact", name, after.tableName(), "new grain", from)));
        }
        if (!before.partitionBy().equals(after.partitionBy())) {
            out.add(Operation.refused(CHANGE_PARTITIONING, name, "partition_by", before.partitionBy().orElse(null),
                    after.partitionBy().orElse(null), ManualSteps.rebuildBeside("fact", name, after.tableName(),
                            "new partition_by (PostgreSQL cannot partition a loaded table in place)", from)));
        }
        onDelete(name, before.onDelete(), after.onDelete(), out);
        lookups(name, before.lookup(), after.lookup(), out);
        named(before.dimensions(), after.dimensions(),
                (role, reference) -> out.add(Operation.change(ADD_REFERENCE, name, role, null, reference(reference),
                        Impact.REBUILD).withNote("the key column " + reference.column() + " is added and resolved "
                                + "for the rows already loaded")),
                (role, reference) -> out.add(Operation.change(DROP_REFERENCE, name, role, reference(reference), null,
                        Impact.DESTRUCTIVE).withNote("the key column " + reference.column() + " is dropped")),
                (role, change) -> out.add(after.partitionBy().filter(role::equals).isPresent()
                        ? Operation.refused(CHANGE_REFERENCE, name, role, reference(change.get(0)),
                                reference(change.get(1)), ManualSteps.rebuildBeside("fact", name, after.tableName(),
                                        "new " + role + " key (the fact is partitioned by it)", from))
                        : Operation.change(CHANGE_REFERENCE, name, role, reference(change.get(0)),
                                reference(change.get(1)), Impact.REBUILD).withNote("the key column "
                                + change.get(1).column() + " is resolved again for the rows already loaded; the old "
                                + "one is kept until the contract phase")));
        columns(name, before.measures(), after.measures(), after.renamedFrom(), ADD_MEASURE, DROP_MEASURE,
                RENAME_MEASURE, out);
    }

    private static void lookups(String target, Map<String, Lookup> before, Map<String, Lookup> after,
            List<Operation> out) {
        named(before, after,
                (name, lookup) -> out.add(Operation.change(ADD_LOOKUP, target, name, null, lookup(lookup),
                        Impact.ADDITIVE).withNote("the expressions that use it are derived again as changes of their "
                                + "own; the raw layer indexes the column it joins on")),
                (name, lookup) -> out.add(Operation.change(DROP_LOOKUP, target, name, lookup(lookup), null,
                        Impact.ADDITIVE)),
                (name, change) -> out.add(Operation.change(CHANGE_LOOKUP, target, name, lookup(change.get(0)),
                        lookup(change.get(1)), Impact.REBUILD)));
    }

    /**
     * Compares attributes or measures, following the renames {@code renamedFrom} declares (only those whose old
     * name was deployed and whose new name was not), and returns each column of {@code after} that was deployed,
     * mapped to its deployed name.
     */
    private static Map<String, String> columns(String target, Map<String, SqlExpression> before,
            Map<String, SqlExpression> after, Map<String, String> renamedFrom, Operation.Kind add, Operation.Kind drop,
            Operation.Kind rename, List<Operation> out) {
        Map<String, String> kept = new LinkedHashMap<>();
        after.forEach((column, expression) -> {
            String old = renamedFrom.get(column);
            if (before.containsKey(column)) {
                kept.put(column, column);
            } else if (old != null && before.containsKey(old) && !after.containsKey(old)) {
                kept.put(column, old);
                out.add(Operation.change(rename, target, column, old, column, Impact.ADDITIVE).withNote("the "
                        + "column keeps its values; queries that use `" + old + "` must use `" + column + "`"));
            } else {
                out.add(Operation.change(add, target, column, null, expression, Impact.REBUILD)
                        .withNote("derived for the rows already loaded"));
            }
        });
        kept.forEach((column, old) -> {
            SqlExpression deployed = before.get(old);
            if (!deployed.equals(after.get(column))) {
                out.add(Operation.change(CHANGE_EXPRESSION, target, column, deployed, after.get(column),
                        Impact.REBUILD));
            }
        });
        before.forEach((column, expression) -> {
            if (!kept.containsValue(column)) {
                out.add(Operation.change(drop, target, column, expression, null, Impact.DESTRUCTIVE));
            }
        });
        return kept;
    }

    /** Calls {@code added}, {@code dropped} or {@code changed} (with [before, after]) for each name. */
    private static <T> void named(Map<String, T> before, Map<String, T> after, BiConsumer<String, T> added,
            BiConsumer<String, T> dropped, BiConsumer<String, List<T>> changed) {
        after.forEach((name, value) -> {
            T old = before.get(name);
            if (old == null) {
                added.accept(name, value);
            } else if (!old.equals(value)) {
                changed.accept(name, List.of(old, value));
            }
        });
        before.forEach((name, value) -> {
            if (!after.containsKey(name)) {
                dropped.accept(name, value);
            }
        });
    }

    private static String range(DateDimension d) {
        return d.from() + ".." + d.to();
    }

    private static String lookup(Lookup l) {
        return l.from() + " on " + l.on() + l.key().map(k -> " key " + k).orElse("");
    }

    private static String reference(DimensionReference r) {
        return r.dimension() + "(" + r.key().stream().map(SqlExpression::sql).collect(Collectors.joining(", ")) + ")";
    }

    private static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
