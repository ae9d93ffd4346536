package dev.lockstep.migrations.plan;

import static dev.lockstep.migrations.plan.MigrationPlan.retiredSchema;
import static dev.lockstep.migrations.plan.StarTargets.dropUniqueIndex;
import static dev.lockstep.migrations.plan.StarTargets.fact;
import static dev.lockstep.migrations.plan.StarTargets.quote;
import static dev.lockstep.migrations.plan.StarTargets.table;
import static dev.lockstep.migrations.plan.StarTargets.tableName;

import dev.lockstep.warehouse.star.StarSchema;
import dev.lockstep.warehouse.star.StarSchema.Column;
import dev.lockstep.warehouse.star.StarSchema.DimensionTable;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The statements of a dimension's change of SCD type, by phase (each down list in the order its statements are
 * added to the phase's down script, which runs in reverse).
 *
 * <p>SCD 1 → 2 adds the version columns (constant defaults: a catalog change, every row its member's first, current
 * version, valid since {@code -infinity}) and the indexes of versions at expand; the switch drops the unique index on
 * the key, which the first new version of a member would violate. History starts at the switch.
 *
 * <p>SCD 2 → 1, at the switch (the loader merges by key from then on, so one row per member must be left): the facts
 * that point at an older version are re-pointed at their member's current one (an update as large as those facts),
 * the older versions are copied to {@code <schema>_retired.<table>__versions} and deleted, and the unique index on
 * the key is built; the contract phase drops the version columns. A reference to the dimension that this deployment
 * adds or changes (a new fact's too) would be resolved against several versions of a member while it runs: it is
 * left not deployable — deploy the change of SCD type on its own first.
 *
 * @param notYet the references that cannot be resolved in the same deployment: fact and key column
 */
record ScdChange(List<String> expand, List<String> expandDown, List<String> switchOver, List<String> switchDown,
        List<String> contract, List<String> contractDown, List<List<String>> notYet) {

    /** Returns the change of dimension {@code dimension} (of {@code next}) from its type in {@code deployed}. */
    static ScdChange of(StarSchema deployed, StarSchema next, DimensionTable dimension) {
        ScdChange change = new ScdChange(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        String target = dimension.definition().name();
        String table = table(next, target);
        String keys = String.join(", ", dimension.key().stream().map(c -> quote(c.name())).toList());
        if (dimension.scd2()) {
            change.expand.add("ALTER TABLE " + table + " ADD COLUMN valid_from timestamptz NOT NULL DEFAULT "
                    + "'-infinity', ADD COLUMN valid_to timestamptz NOT NULL DEFAULT 'infinity', ADD COLUMN is_current "
                    + "boolean NOT NULL DEFAULT true;");
            change.expand.add("CREATE UNIQUE INDEX ON " + table + " (" + keys + ") WHERE is_current;");
            change.expand.add("CREATE INDEX ON " + table + " (" + keys + ", valid_from);");
            change.expandDown.add("ALTER TABLE " + table + " DROP COLUMN valid_from, DROP COLUMN valid_to, "
                    + "DROP COLUMN is_current;");
            change.switchOver.add(dropUniqueIndex(table, dimension.key()));
            change.switchDown.add("CREATE UNIQUE INDEX ON " + table + " (" + keys + ");");
            return change;
        }
        String surrogate = quote(dimension.definition().surrogateKey());
        String match = dimension.key().stream().map(c -> "c." + quote(c.name()) + " = v." + quote(c.name()))
                .collect(Collectors.joining(" AND "));
        for (StarSchema.FactTable f : next.facts()) {
            for (StarSchema.Reference r : f.references()) {
                if (r.toDate() || !r.dimension().name().equals(target)) {
                    continue;
                }
                String name = f.definition().name();
                boolean deployedAsIs = fact(deployed, name).stream().flatMap(d -> d.references().stream())
                        .anyMatch(o -> o.definition().equals(r.definition()));
                if (!deployedAsIs) {
                    change.notYet.add(List.of(name, r.definition().column()));
                    continue;
                }
                String column = quote(r.definition().column());
                change.switchOver.add("UPDATE " + table(next, name) + " AS f SET " + column + " = c." + surrogate
                        + " FROM " + table + " AS v JOIN " + table + " AS c ON " + match + " AND c.is_current WHERE f."
                        + column + " = v." + surrogate + " AND NOT v.is_current;");
            }
        }
        String schema = quote(retiredSchema(next));
        String retired = schema + "." + quote(tableName(next, target) + "__versions");
        DimensionTable before = deployed.dimension(target).orElse(dimension);
        String columns = Stream.of(Stream.of(surrogate), before.key().stream().map(c -> quote(c.name())),
                before.attributes().stream().map(Column::name).map(StarTargets::quote), Stream.of("valid_from",
                        "valid_to", "is_current", "is_inferred", "is_deleted", "_position_lsn", "_position_seq",
                        "_loaded_at")).flatMap(s -> s).collect(Collectors.joining(", "));
        change.switchOver.add("CREATE SCHEMA IF NOT EXISTS " + schema + ";");
        change.switchOver.add(StarTargets.setAsideRetired(retiredSchema(next), tableName(next, target) + "__versions"));
        change.switchOver.add("CREATE TABLE " + retired + " AS SELECT " + columns + " FROM " + table
                + " WHERE NOT is_current;");
        change.switchOver.add(StarTargets.stampRetired(retiredSchema(next), tableName(next, target) + "__versions"));
        change.switchOver.add("DELETE FROM " + table + " WHERE NOT is_current;");
        change.switchOver.add("CREATE UNIQUE INDEX ON " + table + " (" + keys + ");");
        change.switchDown.add("DROP TABLE " + retired + ";");
        change.switchDown.add("INSERT INTO " + table + " (" + columns + ") SELECT " + columns + " FROM " + retired
                + ";");
        change.switchDown.add(dropUniqueIndex(table, dimension.key()));
        change.contract.add("ALTER TABLE " + table + " DROP COLUMN valid_from, DROP COLUMN valid_to, DROP COLUMN "
                + "is_current;");
        change.contractDown.add("CREATE INDEX ON " + table + " (" + keys + ", valid_from);");
        change.contractDown.add("CREATE UNIQUE INDEX ON " + table + " (" + keys + ") WHERE is_current;");
        change.contractDown.add("ALTER TABLE " + table + " ADD COLUMN valid_from timestamptz NOT NULL DEFAULT "
                + "'-infinity', ADD COLUMN valid_to timestamptz NOT NULL DEFAULT 'infinity', ADD COLUMN is_current "
                + "boolean NOT NULL DEFAULT true;");
        return change;
    }
}
