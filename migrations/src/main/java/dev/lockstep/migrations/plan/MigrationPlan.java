package dev.lockstep.migrations.plan;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.migrations.lint.Script;
import dev.lockstep.warehouse.star.StarSchema;
import dev.lockstep.warehouse.star.StarSchema.Column;
import dev.lockstep.warehouse.star.StarSchemaDdl;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The warehouse DDL a {@link Diff} needs, in the phases of a deployment: <em>expand</em> (additive: new nullable
 * columns, new tables, new indexes — readers of the old shape keep working), then the rows to <em>rebuild</em> from
 * the raw layer, then <em>contract</em> (what the new definition no longer has is dropped), each with its down
 * script. Generated from the two typed star schemas; changes that need no DDL (an expression, a rule without an
 * index, a setting) show only as rebuilds or not at all.
 *
 * <p>A rename is an expand/contract pair, not {@code RENAME COLUMN}: the new column is added and filled from the old
 * one, and the old one is dropped at contract — readers that still use the old name keep working until then.
 */
public record MigrationPlan(List<String> expand, List<Rebuild> rebuilds, List<String> contract,
        List<String> expandDown, List<String> contractDown, List<Breaking> breaking) {

    /** Each generated script starts by bounding how long a statement waits for a lock held by a reader. */
    public static final String LOCK_TIMEOUT = "SET lock_timeout = '5s';";

    /** Rows of {@code table} (the target {@code target}) to derive again for {@code column}; how, in {@code how}. */
    public record Rebuild(String target, String table, String column, String how) {
        public Rebuild {
            requireNonNull(target, "target");
            requireNonNull(table, "table");
            requireNonNull(column, "column");
            requireNonNull(how, "how");
        }
    }

    /**
     * A table or column ({@code column} empty: the table) that the plan drops or changes in a way that breaks the
     * user's objects built on it (views, materialized views, policies); {@code change} says how.
     */
    public record Breaking(String schema, String table, Optional<String> column, String change) {
        public Breaking {
            requireNonNull(schema, "schema");
            requireNonNull(table, "table");
            requireNonNull(column, "column");
            requireNonNull(change, "change");
        }
    }

    public MigrationPlan {
        breaking = List.copyOf(breaking);
        expand = List.copyOf(expand);
        rebuilds = List.copyOf(rebuilds);
        contract = List.copyOf(contract);
        expandDown = List.copyOf(expandDown);
        contractDown = List.copyOf(contractDown);
    }

    /** Returns true when the diff needs no DDL and no rebuild. */
    public boolean isEmpty() {
        return expand.isEmpty() && rebuilds.isEmpty() && contract.isEmpty();
    }

    /** Returns the generated scripts as the linter reads them: expand and contract, each with its down script. */
    public List<Script> scripts(int version) {
        return scripts(version, List.of());
    }

    /**
     * Returns the deployment's scripts in the order they run, as the linter reads them: the generated expand phase
     * ({@code V<version>__expand.sql}), the hand-written migrations (after the switch: contract phase, which may
     * drop), then the generated contract phase, numbered on from {@code version}.
     */
    public List<Script> scripts(int version, List<HandWrittenMigration> handWritten) {
        List<Script> scripts = new ArrayList<>();
        int next = version;
        if (!expand.isEmpty()) {
            scripts.add(Script.generated("V" + next++ + "__expand.sql", script(expand), Script.Phase.EXPAND));
        }
        for (HandWrittenMigration migration : handWritten) {
            scripts.add(Script.handWritten(migration.fileName(), migration.up(), Script.Phase.CONTRACT,
                    migration.down().isPresent()));
            next++;
        }
        if (!contract.isEmpty()) {
            scripts.add(Script.generated("V" + next + "__contract.sql", script(contract), Script.Phase.CONTRACT));
        }
        return scripts;
    }

    /** Returns {@code statements} as one script, after {@link #LOCK_TIMEOUT}. */
    public static String script(List<String> statements) {
        return LOCK_TIMEOUT + "\n" + String.join("\n", statements) + "\n";
    }

    /** Returns the DDL of {@code diff} from {@code deployed} to {@code next}; refused operations add nothing. */
    public static MigrationPlan of(Diff diff, StarSchema deployed, StarSchema next) {
        Builder plan = new Builder(deployed, next);
        for (Operation operation : diff.operations()) {
            plan.add(operation);
        }
        plan.ruleIndexes();
        return new MigrationPlan(plan.expand, plan.rebuilds, plan.contract, reversed(plan.expandDown),
                reversed(plan.contractDown), plan.breaking);
    }

    private static List<String> reversed(List<String> statements) {
        List<String> copy = new ArrayList<>(statements);
        java.util.Collections.reverse(copy);
        return copy;
    }

    /** Collects the statements of each phase, operation by operation. */
    private static final class Builder {
        private final StarSchema deployed;
        private final StarSchema next;
        private final List<String> expand = new ArrayList<>();
        private final List<String> expandDown = new ArrayList<>();
        private final List<String> contract = new ArrayList<>();
        private final List<String> contractDown = new ArrayList<>();
        private final List<Rebuild> rebuilds = new ArrayList<>();
        private final List<Breaking> breaking = new ArrayList<>();

        Builder(StarSchema deployed, StarSchema next) {
            this.deployed = deployed;
            this.next = next;
        }

        void add(Operation op) {
            switch (op.kind()) {
                case ADD_ATTRIBUTE, ADD_MEASURE -> column(next, op.target(), op.item()).ifPresent(c -> {
                    addColumn(op.target(), c);
                    rebuild(op.target(), c.name(), "derived from the raw layer with its expression");
                });
                case RENAME_ATTRIBUTE, RENAME_MEASURE -> column(next, op.target(), op.item()).ifPresent(c -> {
                    addColumn(op.target(), c);
                    rebuild(op.target(), c.name(), "copied from " + op.before().orElseThrow()
                            + ", which keeps its values until the contract phase drops it");
                    column(deployed, op.target(), op.before().orElseThrow()).ifPresent(old -> dropColumn(op.target(),
                            old));
                });
                case DROP_ATTRIBUTE, DROP_MEASURE -> column(deployed, op.target(), op.item())
                        .ifPresent(c -> dropColumn(op.target(), c));
                case ADD_DIMENSION, ADD_FACT -> StarSchemaDdl.createTarget(next, op.target()).ifPresent(create -> {
                    expand.add(create.strip());
                    expandDown.add("DROP TABLE " + table(next, op.target()) + ";");
                    rebuild(op.target(), "*", "loaded from the raw layer");
                });
                case DROP_DIMENSION, DROP_FACT -> StarSchemaDdl.createTarget(deployed, op.target()).ifPresent(create -> {
                    contract.add("DROP TABLE " + table(deployed, op.target()) + ";");
                    contractDown.add(create.strip());
                    breaking.add(new Breaking(deployed.schema(), tableName(deployed, op.target()), Optional.empty(),
                            "dropped"));
                });
                case ADD_REFERENCE -> reference(op, next).ifPresent(key -> {
                    expand.add("ALTER TABLE " + table(next, op.target()) + " ADD COLUMN " + key + " bigint;");
                    expandDown.add("ALTER TABLE " + table(next, op.target()) + " DROP COLUMN " + key + ";");
                    rebuild(op.target(), key, "resolved against the dimension for the rows already loaded");
                });
                case DROP_REFERENCE -> reference(op, deployed).ifPresent(key -> {
                    contract.add("ALTER TABLE " + table(deployed, op.target()) + " DROP COLUMN " + key + ";");
                    breaking.add(new Breaking(deployed.schema(), tableName(deployed, op.target()),
                            Optional.of(unquoted(key)), "dropped"));
                    contractDown.add("ALTER TABLE " + table(deployed, op.target()) + " ADD COLUMN " + key
                            + " bigint;");
                });
                case CHANGE_TYPE -> column(next, op.target(), op.item()).ifPresent(c -> {
                    String table = table(next, op.target());
                    expand.add("ALTER TABLE " + table + " ALTER COLUMN " + quote(c.name()) + " TYPE " + c.type()
                            + " USING " + quote(c.name()) + "::" + c.type() + ";");
                    expandDown.add("ALTER TABLE " + table + " ALTER COLUMN " + quote(c.name()) + " TYPE "
                            + op.before().orElseThrow() + " USING " + quote(c.name()) + "::" + op.before().orElseThrow()
                            + ";");
                    rebuild(op.target(), c.name(), "derived again in its new type");
                    breaking.add(new Breaking(next.schema(), tableName(next, op.target()), Optional.of(c.name()),
                            "changes type to " + c.type()));
                });
                case CHANGE_SCD -> scd(op);
                case CHANGE_EXPRESSION, CHANGE_TRACKED, ADD_LOOKUP, CHANGE_LOOKUP, CHANGE_REFERENCE ->
                        rebuild(op.target(), op.item().isEmpty() ? "*" : op.item(), "derived again from the raw "
                                + "layer (" + op.kind().name().toLowerCase().replace('_', ' ') + ")");
                default -> { } // no DDL: settings, rules (their indexes below), comments, refused changes
            }
        }

        /** SCD 1 → 2 adds the version columns and their index; 2 → 1 is a rebuild of the dimension's rows. */
        private void scd(Operation op) {
            Optional<StarSchema.DimensionTable> dimension = next.dimension(op.target());
            if (dimension.isEmpty()) {
                return;
            }
            String table = table(next, op.target());
            String keys = String.join(", ", dimension.get().key().stream().map(c -> quote(c.name())).toList());
            if (dimension.get().scd2()) {
                expand.add("ALTER TABLE " + table + " ADD COLUMN valid_from timestamptz NOT NULL DEFAULT '-infinity', "
                        + "ADD COLUMN valid_to timestamptz NOT NULL DEFAULT 'infinity', ADD COLUMN is_current boolean "
                        + "NOT NULL DEFAULT true;");
                expand.add("CREATE INDEX ON " + table + " (" + keys + ", valid_from);");
                expandDown.add("ALTER TABLE " + table + " DROP COLUMN valid_from, DROP COLUMN valid_to, "
                        + "DROP COLUMN is_current;");
                rebuild(op.target(), "valid_from", "history starts at the switch: every member's current row is "
                        + "its first version; the unique index on the key becomes one on current rows");
            } else {
                rebuild(op.target(), "*", "facts re-pointed to each member's current version, the older versions "
                        + "retired, then the version columns dropped (not generated yet: the coordinator's job)");
            }
        }

        /** The unique rules' indexes: those the next definition adds, and those it no longer needs. */
        void ruleIndexes() {
            Map<String, String> before = new LinkedHashMap<>(StarSchemaDdl.ruleIndexes(deployed));
            Map<String, String> after = StarSchemaDdl.ruleIndexes(next);
            after.forEach((name, create) -> {
                if (before.remove(name) == null) {
                    expand.add(create.strip());
                    expandDown.add("DROP INDEX IF EXISTS " + quote(next.schema()) + "." + quote(name) + ";");
                }
            });
            before.forEach((name, create) -> {
                contract.add("DROP INDEX IF EXISTS " + quote(deployed.schema()) + "." + quote(name) + ";");
                contractDown.add(create.strip());
            });
        }

        private void addColumn(String target, Column column) {
            String table = table(next, target);
            expand.add("ALTER TABLE " + table + " ADD COLUMN " + quote(column.name()) + " " + column.type() + ";");
            expandDown.add("ALTER TABLE " + table + " DROP COLUMN " + quote(column.name()) + ";");
        }

        private void dropColumn(String target, Column column) {
            String table = table(deployed, target);
            contract.add("ALTER TABLE " + table + " DROP COLUMN " + quote(column.name()) + ";");
            contractDown.add("ALTER TABLE " + table + " ADD COLUMN " + quote(column.name()) + " " + column.type()
                    + ";");
            breaking.add(new Breaking(deployed.schema(), tableName(deployed, target), Optional.of(column.name()),
                    "dropped"));
        }

        private void rebuild(String target, String column, String how) {
            rebuilds.add(new Rebuild(target, table(next, target), column, how));
        }

        private Optional<String> reference(Operation op, StarSchema star) {
            return star.facts().stream().filter(f -> f.definition().name().equals(op.target()))
                    .flatMap(f -> f.references().stream())
                    .filter(r -> r.definition().name().equals(op.item()))
                    .map(r -> quote(r.definition().column())).findFirst();
        }
    }

    /** Returns the attribute or measure {@code name} of target {@code target} in {@code star}, with its type. */
    private static Optional<Column> column(StarSchema star, String target, String name) {
        List<Column> columns = star.dimension(target).map(StarSchema.DimensionTable::attributes)
                .or(() -> star.facts().stream().filter(f -> f.definition().name().equals(target)).findFirst()
                        .map(StarSchema.FactTable::measures))
                .orElse(List.of());
        return columns.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** Returns the qualified table of target {@code target} in {@code star}. */
    private static String table(StarSchema star, String target) {
        return StarSchemaDdl.qualified(star, tableName(star, target));
    }

    /** Returns the table name of target {@code target} in {@code star} (the target's name when it has none). */
    private static String tableName(StarSchema star, String target) {
        return star.dimension(target).map(d -> d.definition().tableName())
                .or(() -> star.facts().stream().filter(f -> f.definition().name().equals(target)).findFirst()
                        .map(f -> f.definition().tableName()))
                .orElse(target);
    }

    private static String unquoted(String quoted) {
        return quoted.substring(1, quoted.length() - 1).replace("\"\"", "\"");
    }

    private static String quote(String identifier) {
        return SqlIdentifiers.quote(identifier);
    }
}
