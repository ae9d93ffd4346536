package dev.lockstep.migrations.plan;

import static dev.lockstep.migrations.plan.MigrationPlan.ALL_ROWS;
import static dev.lockstep.migrations.plan.MigrationPlan.NEXT;
import static dev.lockstep.migrations.plan.MigrationPlan.PREVIOUS;
import static dev.lockstep.migrations.plan.MigrationPlan.TOUCHED;
import static dev.lockstep.migrations.plan.MigrationPlan.retiredSchema;
import static dev.lockstep.migrations.plan.StarTargets.addedTableRead;
import static dev.lockstep.migrations.plan.StarTargets.column;
import static dev.lockstep.migrations.plan.StarTargets.deleteMarked;
import static dev.lockstep.migrations.plan.StarTargets.fact;
import static dev.lockstep.migrations.plan.StarTargets.indexName;
import static dev.lockstep.migrations.plan.StarTargets.keyColumn;
import static dev.lockstep.migrations.plan.StarTargets.lookups;
import static dev.lockstep.migrations.plan.StarTargets.quote;
import static dev.lockstep.migrations.plan.StarTargets.resolved;
import static dev.lockstep.migrations.plan.StarTargets.table;
import static dev.lockstep.migrations.plan.StarTargets.tableName;
import static dev.lockstep.migrations.plan.StarTargets.unquoted;
import static dev.lockstep.migrations.plan.StarTargets.uses;

import dev.lockstep.core.definition.Lookup;
import dev.lockstep.core.definition.SqlExpression;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.migrations.lint.MigrationLint;
import dev.lockstep.migrations.plan.MigrationPlan.Breaking;
import dev.lockstep.migrations.plan.MigrationPlan.ConcurrentIndex;
import dev.lockstep.migrations.plan.MigrationPlan.Rebuild;
import dev.lockstep.warehouse.raw.RawLayerDdl;
import dev.lockstep.warehouse.star.StarSchema;
import dev.lockstep.warehouse.star.StarSchema.Column;
import dev.lockstep.warehouse.star.StarSchemaDdl;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Collects the statements of a {@link MigrationPlan}, phase by phase, operation by operation, from the deployed and
 * the next typed star schema.
 */
final class PhasedDdl {
    private final StarSchema deployed;
    private final StarSchema next;
    private final List<String> expand = new ArrayList<>();
    private final List<String> expandDown = new ArrayList<>();
    private final List<ConcurrentIndex> indexes = new ArrayList<>();
    private final List<String> switchOver = new ArrayList<>();
    private final List<String> switchDown = new ArrayList<>();
    private final List<String> contract = new ArrayList<>();
    private final List<String> contractDown = new ArrayList<>();
    private final Set<String> shadowed = new HashSet<>();
    /** The tables given the {@value MigrationPlan#TOUCHED} column. */
    private final Set<String> marked = new HashSet<>();
    /** The new facts, loaded into shadow tables. */
    private final Set<String> newFacts = new HashSet<>();
    private final List<Rebuild> rebuilds = new ArrayList<>();
    private final List<Breaking> breaking = new ArrayList<>();
    /** The source tables added (a diff lists them before the targets that may read them). */
    private final Set<TableId> addedTables = new HashSet<>();

    PhasedDdl(StarSchema deployed, StarSchema next) {
        this.deployed = deployed;
        this.next = next;
    }

    void add(Operation op) {
        readsAddedTable(op);
        switch (op.kind()) {
            case ADD_ATTRIBUTE, ADD_MEASURE -> column(next, op.target(), op.item()).ifPresent(c ->
                    shadow(op.target(), c, Optional.empty(), "derived from the raw layer with its expression"
                            + historyNote(op.target(), "NULL")));
            case RENAME_ATTRIBUTE, RENAME_MEASURE -> column(next, op.target(), op.item()).ifPresent(c -> {
                String old = op.before().orElseThrow();
                shadow(op.target(), c, Optional.of(old), "derived from the raw layer under its new name"
                        + historyNote(op.target(), "the value of " + old) + "; " + old + " keeps its values "
                        + "until the contract phase drops it");
                column(deployed, op.target(), old).ifPresent(o -> dropColumn(op.target(), o));
            });
            case DROP_ATTRIBUTE, DROP_MEASURE -> column(deployed, op.target(), op.item())
                    .ifPresent(c -> dropColumn(op.target(), c));
            case ADD_FACT -> StarSchemaDdl.createTarget(next, op.target())
                    .ifPresent(create -> shadowFact(op.target(), create));
            // Created under its name at expand (no fact refers to it before the switch; readers see it fill), loaded
            // before any column is rebuilt (build): a reference to it then resolves against it whole.
            case ADD_DIMENSION -> StarSchemaDdl.createTarget(next, op.target()).ifPresent(create -> {
                expand.add(create.strip());
                expandDown.add("DROP TABLE " + table(next, op.target()) + ";");
                rebuilds.add(new Rebuild(op.target(), table(next, op.target()), ALL_ROWS, "loaded from the raw layer "
                        + "as the applier loads a batch (its members' current rows" + historyNote(op.target(),
                        "none: history starts at the load") + "); every batch loads it too",
                        Optional.of(tableName(next, op.target())), Optional.empty()));
            });
            case DROP_DIMENSION, DROP_FACT -> StarSchemaDdl.createTarget(deployed, op.target()).ifPresent(create -> {
                contract.add("DROP TABLE " + table(deployed, op.target()) + ";");
                contractDown.add(create.strip());
                breaking.add(new Breaking(deployed.schema(), tableName(deployed, op.target()), Optional.empty(),
                        "dropped"));
            });
            case ADD_REFERENCE -> referenceTo(op, next).ifPresent(r -> shadow(op.target(), keyColumn(r),
                    Optional.empty(), resolved(r)));
            case DROP_REFERENCE -> reference(op, deployed).ifPresent(key -> {
                contract.add("ALTER TABLE " + table(deployed, op.target()) + " DROP COLUMN " + key + ";");
                breaking.add(new Breaking(deployed.schema(), tableName(deployed, op.target()),
                        Optional.of(unquoted(key)), "dropped"));
                contractDown.add("ALTER TABLE " + table(deployed, op.target()) + " ADD COLUMN " + key
                        + " bigint;");
            });
            case CHANGE_TYPE -> column(next, op.target(), op.item()).ifPresent(c -> replace(op.target(), c,
                    "derived again in its new type " + c.type(), "changes type to " + c.type()));
            case CHANGE_EXPRESSION -> {
                Optional<Column> c = column(next, op.target(), op.item());
                if (c.isPresent() && column(deployed, op.target(), op.item()).isPresent()) {
                    replace(op.target(), c.get(), "derived again with the new expression", "replaced at the "
                            + "switch: objects built on it keep reading the old values");
                } else {
                    rebuild(op.target(), op.item().isEmpty() ? ALL_ROWS : op.item(), "derived again from the raw "
                            + "layer (change expression)");
                }
            }
            // Captured from the switch on (the extract restarts); its existing rows come by an incremental snapshot.
            case ADD_SOURCE_TABLE -> Optional.ofNullable(next.sources().get(TableId.parse(op.item()))).ifPresent(t -> {
                addedTables.add(t.id());
                expand.add(RawLayerDdl.createTable(next.schema(), t));
                expandDown.add("DROP TABLE " + RawLayerDdl.qualified(next.schema(), t.id()) + ";");
            });
            case DROP_SOURCE_TABLE -> Optional.ofNullable(deployed.sources().get(TableId.parse(op.item())))
                    .ifPresent(t -> {
                        contract.add("DROP TABLE " + RawLayerDdl.qualified(deployed.schema(), t.id()) + ";");
                        contractDown.add(RawLayerDdl.createTable(deployed.schema(), t));
                        breaking.add(new Breaking(RawLayerDdl.schema(deployed.schema()), RawLayerDdl.tableName(t.id()),
                                Optional.empty(), "dropped"));
                    });
            case CHANGE_SCD -> scd(op);
            // soft → hard: the rows marked deleted go at contract, kept first; hard → soft: no DDL.
            case CHANGE_ON_DELETE -> {
                if ("hard".equals(op.after().orElse(""))) {
                    List<List<String>> deleted = deleteMarked(next, op.target());
                    contract.addAll(deleted.get(0));
                    contractDown.addAll(deleted.get(1));
                }
            }
            // The days of the new range the table does not have; none is removed (the down script removes none).
            case CHANGE_DATE_RANGE -> next.date().filter(d -> d.name().equals(op.target()))
                    .ifPresent(d -> expand.add(StarSchemaDdl.addDays(next, d)));
            case CHANGE_LOOKUP -> changedLookup(op);
            case CHANGE_REFERENCE -> referenceTo(op, next).ifPresent(r -> replaceKey(op.target(), r,
                    resolved(r) + " again"));
            // A new lookup changes no row by itself (the expressions that use it are operations of their own);
            // its join column's index is among the lookup indexes below. A dropped one: no DDL.
            default -> { } // no DDL: settings, tracked columns, rules (their indexes below), comments, refused
        }
    }

    /** A new target or lookup that reads a source table this deployment adds is not deployable with it. */
    private void readsAddedTable(Operation op) {
        addedTableRead(addedTables, next, op).ifPresent(t -> rebuild(op.target(), op.item().isEmpty() ? ALL_ROWS
                : op.item(), "reads source table " + t + ", which this deployment adds: deploy the table first, then "
                + "what reads it once its snapshot is loaded (not generated yet)"));
    }

    /** A change of SCD type ({@link ScdChange}). */
    private void scd(Operation op) {
        next.dimension(op.target()).map(d -> ScdChange.of(deployed, next, d)).ifPresent(change -> {
            expand.addAll(change.expand());
            expandDown.addAll(change.expandDown());
            switchOver.addAll(change.switchOver());
            switchDown.addAll(change.switchDown());
            contract.addAll(change.contract());
            contractDown.addAll(change.contractDown());
            change.notYet().forEach(f -> rebuild(f.get(0), f.get(1), "resolved against dimension " + op.target()
                    + ", which this deployment turns from SCD 2 into SCD 1: deploy that change on its own first (not "
                    + "generated yet)"));
        });
    }

    /**
     * A lookup that joins another table or on other columns changes the values of every attribute or measure
     * that uses it (directly, or through a lookup joined on it): each is rebuilt and replaced as a changed
     * expression is. A dimension reference whose key uses it would need its key column resolved again, which
     * the coordinator does not do yet.
     */
    private void changedLookup(Operation op) {
        Map<String, Lookup> lookups = lookups(next, op.target());
        Set<String> changed = new HashSet<>(Set.of(op.item()));
        boolean more = true;
        while (more) {
            more = false;
            for (Lookup l : lookups.values()) {
                if (l.on().lookup().filter(changed::contains).isPresent()) {
                    more |= changed.add(l.name());
                }
            }
        }
        Optional<StarSchema.DimensionTable> dimension = next.dimension(op.target());
        Map<String, SqlExpression> expressions = dimension
                .map(d -> d.definition().columns())
                .or(() -> fact(next, op.target()).map(f -> f.definition().measures())).orElse(Map.of());
        expressions.forEach((name, expression) -> {
            if (uses(expression, changed)) {
                Optional<Column> c = column(next, op.target(), name);
                if (c.isPresent() && column(deployed, op.target(), name).isPresent()) {
                    replace(op.target(), c.get(), "derived again through the changed lookup " + op.item(),
                            "replaced at the switch: objects built on it keep reading the old values");
                }
            }
        });
        fact(next, op.target()).ifPresent(f -> f.references().forEach(r -> {
            if (r.definition().key().stream().anyMatch(k -> uses(k, changed))) {
                replaceKey(op.target(), r, resolved(r) + " again through the changed lookup " + op.item());
            }
        }));
    }

    /**
     * Replaces the key column of reference {@code r} of fact {@code target} as a changed expression's column is —
     * except the key a fact is partitioned by: a partition key cannot be swapped by renames (a rebuild of its own).
     */
    private void replaceKey(String target, StarSchema.Reference r, String how) {
        boolean partitionKey = fact(next, target).flatMap(StarSchema.FactTable::partition)
                .filter(p -> p.definition().name().equals(r.definition().name())).isPresent();
        if (partitionKey) {
            rebuild(target, r.definition().column(), how + ": the fact is partitioned by it, so it is rebuilt beside "
                    + "(not generated: docs/migrations.md, \"By hand\")");
        } else {
            replace(target, keyColumn(r), how, "resolved again");
        }
    }

    /**
     * The raw layer's indexes on the columns the next definition's lookups join on that the deployed one's do
     * not (a change of a looked-up row finds the rows joined to it by them), created at expand as the raw layer
     * of a first version has them (a primary key alone is its own index); an index no lookup needs any more
     * stays.
     */
    void lookupIndexes() {
        Map<TableId, Set<String>> before = deployed.lookupColumns();
        next.lookupColumns().forEach((table, columns) -> columns.forEach(column -> {
            boolean indexed = before.getOrDefault(table, Set.of()).contains(column)
                    || Optional.ofNullable(next.sources().get(table)).map(t -> t.primaryKey().equals(List.of(
                            column))).orElse(false);
            if (!indexed) {
                String raw = RawLayerDdl.tableName(table);
                String name = indexName(raw, column);
                String schema = RawLayerDdl.schema(next.schema());
                indexes.add(new ConcurrentIndex(schema, name, List.of("CREATE INDEX CONCURRENTLY IF NOT EXISTS "
                        + quote(name) + " ON " + quote(schema) + "." + quote(raw) + " (" + quote(column) + ");")));
            }
        }));
    }

    /** The unique rules' indexes: those the next definition adds, and those it no longer needs. */
    void ruleIndexes() {
        Map<String, String> before = new LinkedHashMap<>(StarSchemaDdl.ruleIndexes(deployed));
        Map<String, String> after = StarSchemaDdl.ruleIndexes(next);
        after.forEach((name, create) -> {
            // A new fact's table has its shadow name until the switch, after which the deployment creates the
            // indexes its rules need (ensureRuleIndexes).
            boolean onNewFact = newFacts.stream().anyMatch(t -> create.contains(" ON " + table(next, t) + " "));
            if (before.remove(name) == null && !onNewFact) {
                List<String> statements = new ArrayList<>(MigrationLint.statements(create).stream()
                        .map(statement -> statement + ";").toList());
                statements.set(0, statements.get(0).replaceFirst("^CREATE INDEX IF NOT EXISTS ",
                        "CREATE INDEX CONCURRENTLY IF NOT EXISTS "));
                indexes.add(new ConcurrentIndex(next.schema(), name, statements));
            }
        });
        before.forEach((name, create) -> {
            contract.add("DROP INDEX IF EXISTS " + quote(deployed.schema()) + "." + quote(name) + ";");
            contractDown.add(create.strip());
        });
    }

    /**
     * Adds shadow column {@value MigrationPlan#NEXT}{@code <column>} at expand, rebuilds it, and renames it into place at the
     * switch; rows the raw layer cannot derive keep column {@code fallback} (NULL when empty).
     */
    private void shadow(String target, Column column, Optional<String> fallback, String how) {
        if (!shadowed.add(target + "." + column.name())) {
            return;
        }
        String table = table(next, target);
        String shadow = quote(NEXT + column.name());
        if (marked.add(table)) {
            // Which rows a batch wrote the shadow columns of: a chunk running beside the batches leaves them be. The
            // switch drops it, in its transaction (it holds the table's lock for its renames already).
            expand.add("ALTER TABLE " + table + " ADD COLUMN " + quote(TOUCHED) + " boolean;");
            expandDown.add("ALTER TABLE " + table + " DROP COLUMN IF EXISTS " + quote(TOUCHED) + ";");
            switchOver.add("ALTER TABLE " + table + " DROP COLUMN " + quote(TOUCHED) + ";");
            switchDown.add("ALTER TABLE " + table + " ADD COLUMN " + quote(TOUCHED) + " boolean;");
        }
        expand.add("ALTER TABLE " + table + " ADD COLUMN " + shadow + " " + column.type() + ";");
        expandDown.add("ALTER TABLE " + table + " DROP COLUMN " + shadow + ";");
        rebuilds.add(new Rebuild(target, table, column.name(), how, Optional.of(NEXT + column.name()),
                fallback));
        switchOver.add("ALTER TABLE " + table + " RENAME COLUMN " + shadow + " TO " + quote(column.name()) + ";");
        switchDown.add("ALTER TABLE " + table + " RENAME COLUMN " + quote(column.name()) + " TO " + shadow + ";");
    }

    /**
     * Replaces a column whose values change: rebuilt into a shadow column, the live one renamed to
     * {@value MigrationPlan#PREVIOUS}{@code <column>} at the switch (before the shadow takes its name) and dropped at contract.
     */
    private void replace(String target, Column column, String how, String change) {
        if (shadowed.contains(target + "." + column.name())) {
            return;
        }
        String table = table(next, target);
        String previous = quote(PREVIOUS + column.name());
        Column old = column(deployed, target, column.name()).orElse(column);
        switchOver.add("ALTER TABLE " + table + " RENAME COLUMN " + quote(column.name()) + " TO " + previous + ";");
        shadow(target, column, Optional.of(column.name()), how + historyNote(target, "their value"));
        switchDown.add("ALTER TABLE " + table + " RENAME COLUMN " + previous + " TO " + quote(column.name()) + ";");
        contract.add("ALTER TABLE " + table + " DROP COLUMN " + previous + ";");
        contractDown.add("ALTER TABLE " + table + " ADD COLUMN " + previous + " " + old.type() + ";");
        breaking.add(new Breaking(next.schema(), tableName(next, target), Optional.of(column.name()), change));
    }

    /** Returns what the historical versions of an SCD 2 dimension get, or nothing for other targets. */
    private String historyNote(String target, String value) {
        return next.dimension(target).filter(StarSchema.DimensionTable::scd2).isPresent()
                ? "; historical versions keep " + value + " (the raw layer holds current state only)" : "";
    }

    private void dropColumn(String target, Column column) {
        String table = table(deployed, target);
        deployed.dimension(target).filter(StarSchema.DimensionTable::scd2).ifPresent(d -> {
            // The raw layer cannot give historical versions' values back: keep them before dropping.
            String schema = quote(retiredSchema(deployed));
            String retired = schema + "." + quote(d.definition().tableName() + "__" + column.name());
            String surrogate = quote(d.definition().surrogateKey());
            contract.add("CREATE SCHEMA IF NOT EXISTS " + schema + ";");
            String name = d.definition().tableName() + "__" + column.name();
            contract.add(StarTargets.setAsideRetired(retiredSchema(deployed), name));
            contract.add("CREATE TABLE " + retired + " AS SELECT " + surrogate + ", " + quote(column.name())
                    + " FROM " + table + " WHERE NOT is_current;");
            contract.add(StarTargets.stampRetired(retiredSchema(deployed), name));
            contractDown.add("UPDATE " + table + " AS t SET " + quote(column.name()) + " = r." + quote(column.name())
                    + " FROM " + retired + " AS r WHERE t." + surrogate + " = r." + surrogate + ";");
        });
        contract.add("ALTER TABLE " + table + " DROP COLUMN " + quote(column.name()) + ";");
        contractDown.add("ALTER TABLE " + table + " ADD COLUMN " + quote(column.name()) + " " + column.type()
                + ";");
        breaking.add(new Breaking(deployed.schema(), tableName(deployed, target), Optional.of(column.name()),
                "dropped"));
    }

    /**
     * A new fact is created as shadow table {@value MigrationPlan#NEXT}{@code <table>} at expand, loaded from the raw layer
     * (and by every batch) while the deployment rebuilds, and renamed into place with its partitions at the
     * switch: readers never see it half loaded.
     */
    private void shadowFact(String target, String create) {
        newFacts.add(target);
        String name = tableName(next, target);
        String table = table(next, target);
        String shadow = StarSchemaDdl.qualified(next, NEXT + name);
        expand.add(create.strip().replace(table, shadow));
        expandDown.add("DROP TABLE " + shadow + ";");
        rebuilds.add(new Rebuild(target, shadow, ALL_ROWS, "loaded from the raw layer into " + NEXT + name
                + " as the applier loads a batch (deleted source rows apart); every batch loads it too",
                Optional.of(NEXT + name), Optional.empty()));
        // Its partitions (the applier created them ahead of need), their indexes and its own, and its own
        // constraints take the fact's names (a partition's foreign keys keep theirs). Found by structure — the
        // shadow table's partitions and the indexes on it or them — never by name alone: another new fact's
        // shadow table may share the prefix.
        String prefix = "'" + (NEXT + name).replace("'", "''") + "'";
        String parent = "'" + shadow.replace("'", "''") + "'::regclass";
        String tables = "(SELECT " + parent + " UNION ALL SELECT inhrelid FROM pg_inherits WHERE inhparent = "
                + parent + ")";
        int cut = NEXT.length() + 1;
        switchOver.add("DO $$DECLARE r record; BEGIN FOR r IN SELECT c.oid::regclass AS rel, c.relname, c.relkind "
                + "FROM pg_class c WHERE (c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = " + parent
                + ") OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN " + tables + ")) AND "
                + "starts_with(c.relname, " + prefix + ") LOOP EXECUTE format('ALTER %s %s RENAME TO %I', CASE "
                + "WHEN r.relkind IN ('i', 'I') THEN 'INDEX' ELSE 'TABLE' END, r.rel, substr(r.relname, " + cut
                + ")); END LOOP; FOR r IN SELECT n.conrelid::regclass AS rel, n.conname FROM pg_constraint n "
                + "WHERE n.conrelid = " + parent + " AND starts_with(n.conname, " + prefix + ") LOOP EXECUTE "
                + "format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', r.rel, r.conname, substr(r.conname, "
                + cut + ")); END LOOP; END$$;");
        switchOver.add("ALTER TABLE " + shadow + " RENAME TO " + quote(name) + ";");
        switchDown.add("ALTER TABLE " + table + " RENAME TO " + quote(NEXT + name) + ";");
    }

    private void rebuild(String target, String column, String how) {
        rebuilds.add(new Rebuild(target, table(next, target), column, how, Optional.empty(), Optional.empty()));
    }

    private Optional<StarSchema.Reference> referenceTo(Operation op, StarSchema star) {
        return star.facts().stream().filter(f -> f.definition().name().equals(op.target()))
                .flatMap(f -> f.references().stream())
                .filter(r -> r.definition().name().equals(op.item())).findFirst();
    }

    private Optional<String> reference(Operation op, StarSchema star) {
        return star.facts().stream().filter(f -> f.definition().name().equals(op.target()))
                .flatMap(f -> f.references().stream())
                .filter(r -> r.definition().name().equals(op.item()))
                .map(r -> quote(r.definition().column())).findFirst();
    }

    /**
     * Returns the plan collected so far, each down script in the reverse order of its phase's statements, the new
     * targets' loads before the column rebuilds (a new reference resolves against a new dimension loaded whole).
     */
    MigrationPlan build() {
        rebuilds.sort(Comparator.comparing(r -> !r.loadsTarget()));
        return new MigrationPlan(expand, indexes, rebuilds, switchOver, contract, reversed(expandDown),
                reversed(switchDown), reversed(contractDown), breaking);
    }

    private static List<String> reversed(List<String> statements) {
        List<String> copy = new ArrayList<>(statements);
        Collections.reverse(copy);
        return copy;
    }
}
