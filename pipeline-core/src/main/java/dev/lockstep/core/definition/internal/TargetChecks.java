package dev.lockstep.core.definition.internal;

import static dev.lockstep.core.definition.internal.DefinitionFormat.COLUMNS;
import static dev.lockstep.core.definition.internal.DefinitionFormat.COLUMNS_RENAMED_FROM;
import static dev.lockstep.core.definition.internal.DefinitionFormat.DATE_FROM;
import static dev.lockstep.core.definition.internal.DefinitionFormat.DATE_TO;
import static dev.lockstep.core.definition.internal.DefinitionFormat.DIMENSION_FROM;
import static dev.lockstep.core.definition.internal.DefinitionFormat.DIMENSION_REFERENCES;
import static dev.lockstep.core.definition.internal.DefinitionFormat.FACT_FROM;
import static dev.lockstep.core.definition.internal.DefinitionFormat.GENERATED;
import static dev.lockstep.core.definition.internal.DefinitionFormat.GRAIN;
import static dev.lockstep.core.definition.internal.DefinitionFormat.LOOKUPS;
import static dev.lockstep.core.definition.internal.DefinitionFormat.LOOKUP_FROM;
import static dev.lockstep.core.definition.internal.DefinitionFormat.MEASURES;
import static dev.lockstep.core.definition.internal.DefinitionFormat.MEASURES_RENAMED_FROM;
import static dev.lockstep.core.definition.internal.DefinitionFormat.NATURAL_KEY;
import static dev.lockstep.core.definition.internal.DefinitionFormat.ON;
import static dev.lockstep.core.definition.internal.DefinitionFormat.PARTITION_BY;
import static dev.lockstep.core.definition.internal.DefinitionFormat.PII;
import static dev.lockstep.core.definition.internal.DefinitionFormat.REFERENCED_DIMENSION;
import static dev.lockstep.core.definition.internal.DefinitionFormat.REFERENCE_KEY;
import static dev.lockstep.core.definition.internal.DefinitionFormat.SCD;
import static dev.lockstep.core.definition.internal.DefinitionFormat.TRACKED;

import dev.lockstep.core.definition.ColumnRef;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.ScdType;
import dev.lockstep.core.definition.SqlExpression;
import dev.lockstep.core.stream.TableId;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Checks of dimensions and facts: tables listed, lookups resolve without cycles, names distinct, expressions. */
final class TargetChecks {

    private final DefinitionChecks checks;
    private final Targets targets;

    TargetChecks(DefinitionChecks checks, Targets targets) {
        this.checks = checks;
        this.targets = targets;
    }

    void checkDimension(String name, Located<Section> located) {
        Section dimension = located.value();
        if (Targets.isDate(dimension)) {
            checkDateDimension(dimension);
            return;
        }
        Located<TableId> from = dimension.get(DIMENSION_FROM);
        checks.requireListed(from);
        Map<String, Located<Section>> lookups = Targets.entries(dimension.value(LOOKUPS));
        checkLookups(from, lookups);
        List<String> key = Targets.values(dimension.value(NATURAL_KEY));
        Set<String> generated = new LinkedHashSet<>(Targets.generatedDimensionColumns(name));
        Map<String, Located<SqlExpression>> columns = Targets.entries(dimension.value(COLUMNS));
        columns.forEach((column, expression) -> {
            if (key.contains(column)) {
                checks.error(ProblemType.NAME_CONFLICT, expression.location(), expression.path(), "`" + column
                        + "` is already the natural key column; key columns are added by themselves, so remove it "
                        + "or rename it");
            } else if (generated.contains(column)) {
                checks.error(ProblemType.NAME_CONFLICT, expression.location(), expression.path(), "`" + column
                        + "` is a column Lockstep generates in dim_" + name + " (" + DefinitionChecks.list(generated)
                        + "); choose another name");
            }
            checkSourceExpression(expression, from, lookups);
        });
        checkTracked(dimension, columns.keySet());
        checkRenames(dimension.value(COLUMNS_RENAMED_FROM), columns.keySet(), Targets.dimensionColumns(name,
                dimension), "dimension " + name);
        Set<String> piiCandidates = new LinkedHashSet<>(key);
        piiCandidates.addAll(columns.keySet());
        for (Located<String> pii : orEmpty(dimension.value(PII))) {
            requireColumn(pii, piiCandidates, "dimension " + name);
        }
    }

    private void checkTracked(Section dimension, Set<String> columns) {
        Located<List<Located<String>>> tracked = dimension.get(TRACKED);
        if (tracked == null) {
            return;
        }
        if (dimension.wrote(SCD) && !dimension.has(SCD)) {
            return;
        }
        if (dimension.value(SCD) != ScdType.TYPE_2) {
            checks.error(ProblemType.NOT_APPLICABLE, tracked.location(), tracked.path(), "`tracked` applies to "
                    + "scd: 2 dimensions, which keep versions; this dimension is scd: 1 (add scd: 2, or remove "
                    + "tracked)");
            return;
        }
        for (Located<String> column : tracked.value()) {
            requireColumn(column, columns, "dimension " + dimension.path().substring("dimensions.".length())
                    + " (tracked columns are among its `columns`)");
        }
    }

    private void checkDateDimension(Section dimension) {
        Located<Boolean> generated = dimension.get(GENERATED);
        if (generated != null && !generated.value()) {
            checks.error(ProblemType.NOT_ALLOWED, generated.location(), generated.path(), "false is not allowed; a "
                    + "date dimension is generated (true), and a dimension built from a table has no `generated`");
        }
        LocalDate from = dimension.value(DATE_FROM);
        LocalDate to = dimension.value(DATE_TO);
        if (from != null && to != null && from.isAfter(to)) {
            Located<LocalDate> at = dimension.has(DATE_TO) ? dimension.get(DATE_TO) : dimension.get(DATE_FROM);
            checks.error(ProblemType.INVALID_RANGE, at.location(), at.path(), "the range ends (" + to
                    + ") before it starts (" + from + ")");
        }
    }

    void checkFact(String name, Located<Section> located) {
        Section fact = located.value();
        Located<TableId> from = fact.get(FACT_FROM);
        checks.requireListed(from);
        Map<String, Located<Section>> lookups = Targets.entries(fact.value(LOOKUPS));
        checkLookups(from, lookups);
        Map<String, String> owners = new HashMap<>();
        Targets.values(fact.value(GRAIN)).forEach(column -> owners.put(column, "a grain column"));
        owners.put(Targets.IS_DELETED, "the column Lockstep generates for soft deletes");
        Map<String, Located<Section>> references = Targets.entries(fact.value(DIMENSION_REFERENCES));
        references.forEach((role, reference) -> {
            checkReference(role, reference, from, lookups);
            claim(owners, role + "_key", reference, "the key column of dimension reference `" + role + "`");
        });
        Targets.entries(fact.value(MEASURES)).forEach((measure, expression) -> {
            claim(owners, measure, expression, "measure `" + measure + "`");
            checkSourceExpression(expression, from, lookups);
        });
        checkPartition(fact.get(PARTITION_BY), references);
        checkRenames(fact.value(MEASURES_RENAMED_FROM), Targets.entries(fact.value(MEASURES)).keySet(),
                Targets.factColumns(fact), "fact " + name);
    }

    /**
     * Checks a {@code renamed_from} map: each entry names one of {@code renamable} by its new name, its previous name
     * is no column of the table any more ({@code tableColumns}), and no two entries share a previous name.
     */
    private void checkRenames(Map<String, Located<String>> renames, Set<String> renamable, List<String> tableColumns,
            String owner) {
        Map<String, String> renamedTo = new HashMap<>();
        Targets.entries(renames).forEach((column, previous) -> {
            if (!renamable.contains(column)) {
                checks.error(ProblemType.UNKNOWN_COLUMN, previous.location(), previous.path(), "`" + column
                        + "` is not a column of " + owner + "; renamed_from is keyed by the new name. "
                        + Suggestions.didYouMean(column, renamable) + "columns: " + DefinitionChecks.list(renamable));
            } else if (tableColumns.contains(previous.value())) {
                checks.error(ProblemType.INVALID_RENAME, previous.node().location(), previous.path(), "`"
                        + previous.value() + "` is still a column of " + owner + ", so `" + column + "` cannot be "
                        + "renamed from it; remove this entry, or the column `" + previous.value() + "`");
            } else {
                String first = renamedTo.putIfAbsent(previous.value(), column);
                if (first != null) {
                    checks.error(ProblemType.INVALID_RENAME, previous.node().location(), previous.path(), "`"
                            + first + "` is already renamed from `" + previous.value() + "`; one previous name "
                            + "can become only one column");
                }
            }
        });
    }

    private void claim(Map<String, String> owners, String column, Located<?> at, String owner) {
        String previous = owners.putIfAbsent(column, owner);
        if (previous != null) {
            checks.error(ProblemType.NAME_CONFLICT, at.location(), at.path(), "column `" + column + "` of "
                    + owner + " collides with " + previous + "; rename one");
        }
    }

    private void checkReference(String role, Located<Section> located, Located<TableId> from,
            Map<String, Located<Section>> lookups) {
        Section reference = located.value();
        Located<String> named = reference.get(REFERENCED_DIMENSION);
        String dimensionName = named != null ? named.value() : role;
        Located<?> at = named != null ? named : located;
        Located<Section> dimension = targets.dimensions().get(dimensionName);
        List<Located<SqlExpression>> key = orEmpty(reference.value(REFERENCE_KEY));
        key.forEach(expression -> checkSourceExpression(expression, from, lookups));
        if (dimension == null) {
            checks.error(ProblemType.UNKNOWN_DIMENSION, at.location(), at.path(), "no dimension named `"
                    + dimensionName + "`; " + Suggestions.didYouMean(dimensionName, targets.dimensions().keySet())
                    + "dimensions: " + DefinitionChecks.list(targets.dimensions().keySet())
                    + (named == null ? " (to use a dimension under another name, write {dimension: d, key: …})" : ""));
            return;
        }
        if (key.isEmpty()) {
            return;
        }
        List<String> naturalKey = Targets.isDate(dimension.value()) ? List.of("a date or timestamp")
                : Targets.values(dimension.value().value(NATURAL_KEY));
        if (!naturalKey.isEmpty() && key.size() != naturalKey.size()) {
            checks.error(ProblemType.KEY_MISMATCH, located.location(), located.path(), "dimension `" + dimensionName
                    + "` has a " + naturalKey.size() + "-column natural key (" + String.join(", ", naturalKey)
                    + "); give " + naturalKey.size() + " expression" + (naturalKey.size() == 1 ? "" : "s")
                    + ", found " + key.size());
        }
    }

    private void checkPartition(Located<String> partition, Map<String, Located<Section>> references) {
        if (partition == null) {
            return;
        }
        Located<Section> reference = references.get(partition.value());
        if (reference == null) {
            checks.error(ProblemType.INVALID_PARTITION, partition.location(), partition.path(), "`"
                    + partition.value() + "` is not a dimension reference of this fact; "
                    + Suggestions.didYouMean(partition.value(), references.keySet()) + "references: "
                    + DefinitionChecks.list(references.keySet()));
            return;
        }
        Located<String> named = reference.value().get(REFERENCED_DIMENSION);
        String dimensionName = named != null ? named.value() : partition.value();
        Located<Section> dimension = targets.dimensions().get(dimensionName);
        if (dimension != null && !Targets.isDate(dimension.value())) {
            checks.error(ProblemType.INVALID_PARTITION, partition.location(), partition.path(), "`"
                    + partition.value() + "` refers to dimension " + dimensionName + ", not to a date dimension; "
                    + "facts are partitioned by a date (a reference to a dimension with generated: true)");
        }
    }

    private void checkLookups(Located<TableId> from, Map<String, Located<Section>> lookups) {
        Map<String, String> edges = new HashMap<>();
        lookups.forEach((name, located) -> {
            Section lookup = located.value();
            checks.requireListed(lookup.get(LOOKUP_FROM));
            if (from != null && name.equals(from.value().table())) {
                checks.error(ProblemType.NAME_CONFLICT, located.location(), located.path(), "lookup `" + name
                        + "` has the name of the table it is joined to; expressions could not tell `" + name
                        + ".column` apart, so rename the lookup");
            }
            Located<ColumnRef> on = lookup.get(ON);
            if (on == null || on.value().lookup().isEmpty()) {
                return;
            }
            String target = on.value().lookup().get();
            if (target.equals(name)) {
                checks.error(ProblemType.LOOKUP_CYCLE, on.location(), on.path(), "lookup `" + name + "` cannot be "
                        + "joined on its own column; `on` names a column of the table or of another lookup");
            } else if (!lookups.containsKey(target)) {
                checks.error(ProblemType.UNKNOWN_LOOKUP, on.location(), on.path(), "no lookup named `" + target
                        + "`; " + Suggestions.didYouMean(target, lookups.keySet()) + "lookups here: "
                        + DefinitionChecks.list(lookups.keySet()));
            } else {
                edges.put(name, target);
            }
        });
        reportCycles(lookups, edges);
    }

    private void reportCycles(Map<String, Located<Section>> lookups, Map<String, String> edges) {
        Set<String> reported = new LinkedHashSet<>();
        for (String start : edges.keySet()) {
            List<String> chain = new ArrayList<>();
            String current = start;
            while (current != null && !chain.contains(current)) {
                chain.add(current);
                current = edges.get(current);
            }
            if (current != null && current.equals(start) && reported.add(String.join(",", sorted(chain)))) {
                Located<ColumnRef> on = lookups.get(start).value().get(ON);
                chain.add(start);
                checks.error(ProblemType.LOOKUP_CYCLE, on.location(), on.path(), "lookups join on each other in a "
                        + "cycle (" + String.join(" → ", chain) + "); each lookup's `on` must come from the table "
                        + "or an earlier lookup");
            }
        }
    }

    private static List<String> sorted(List<String> names) {
        List<String> copy = new ArrayList<>(names);
        copy.sort(null);
        return copy;
    }

    /** Checks an expression over a source table and its lookups. */
    void checkSourceExpression(Located<SqlExpression> expression, Located<TableId> from,
            Map<String, Located<Section>> lookups) {
        ExpressionAnalyzer.Analysis analysis = checks.analyze(expression);
        String table = from == null ? null : from.value().table();
        for (ExpressionAnalyzer.ColumnUse use : analysis.columns()) {
            if (use.qualifier().isEmpty()) {
                continue;
            }
            String qualifier = use.qualifier().get();
            if (!lookups.containsKey(qualifier) && !qualifier.equals(table)) {
                Set<String> allowed = new LinkedHashSet<>(lookups.keySet());
                if (table != null) {
                    allowed.add(table);
                }
                checks.error(ProblemType.UNKNOWN_LOOKUP, checks.locate(expression, use.offset()), expression.path(),
                        "`" + use + "`: no lookup named `" + qualifier + "`; " + Suggestions.didYouMean(qualifier,
                                allowed) + "qualifiers here: " + DefinitionChecks.list(allowed));
            }
        }
    }

    private void requireColumn(Located<String> column, Set<String> allowed, String owner) {
        if (!allowed.contains(column.value())) {
            checks.error(ProblemType.UNKNOWN_COLUMN, column.location(), column.path(), "`" + column.value()
                    + "` is not a column of " + owner + "; " + Suggestions.didYouMean(column.value(), allowed)
                    + "columns: " + DefinitionChecks.list(allowed));
        }
    }

    private static <T> List<Located<T>> orEmpty(List<Located<T>> list) {
        return list == null ? List.of() : list;
    }
}
