package dev.lockstep.migrations.plan;

import static java.util.Objects.requireNonNull;

import dev.lockstep.migrations.lint.Script;
import dev.lockstep.warehouse.star.ColumnRebuild;
import dev.lockstep.warehouse.star.StarSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The warehouse DDL a {@link Diff} needs, in the phases of a deployment: <em>expand</em> (additive: new nullable
 * columns, new tables — readers of the old shape keep working), the new <em>indexes</em> of existing tables (built
 * {@code CONCURRENTLY}, outside the control point), then the rows to <em>rebuild</em> from
 * the raw layer, the <em>switch</em> (renames that put what was rebuilt in place, in one transaction), then
 * <em>contract</em> (what the new definition no longer has is dropped), each with its down script. Generated from
 * the two typed star schemas; changes that need no DDL (a rule without an index, a setting) show not at all.
 *
 * <p>A column whose values change — a new attribute or measure, a changed expression or type, a rename — is rebuilt
 * into a shadow column ({@value #NEXT}{@code <name>}) added at expand, which readers do not see under the column's
 * name until the switch renames it into place; the column it replaces becomes {@value #PREVIOUS}{@code <name>} at
 * the switch and is dropped at contract. A reader therefore sees every row with the old values or every row with the
 * new ones, and the switch is a catalog change, not a rewrite. A rename is never {@code RENAME COLUMN} of the live
 * column: the new name is added and filled, the old name stays until the contract phase drops it.
 */
public record MigrationPlan(List<String> expand, List<ConcurrentIndex> indexes, List<Rebuild> rebuilds,
        List<String> switchOver, List<String> contract, List<String> expandDown, List<String> switchDown,
        List<String> contractDown, List<Breaking> breaking) {

    /** Each generated script starts by bounding how long a statement waits for a lock held by a reader. */
    public static final String LOCK_TIMEOUT = "SET lock_timeout = '5s';";

    /** The table an {@code ALTER TABLE} statement names (quoted or not, qualified or not). */
    private static final Pattern ALTERED = Pattern.compile(
            "^ALTER TABLE (?:ONLY )?((?:\"(?:[^\"]|\"\")*\"|\\w+)(?:\\.(?:\"(?:[^\"]|\"\")*\"|\\w+))?)\\s");

    /** The prefix of a shadow column: the new values of a column, rebuilt before the switch. */
    public static final String NEXT = "_ls_next_";

    /** The column of a {@link Rebuild} that loads every row of a new target. */
    public static final String ALL_ROWS = "*";

    /**
     * The column of a table with shadow columns, from the expand to the switch, that marks the rows a batch wrote the
     * shadow columns of while the deployment rebuilt them: a rebuild chunk, which runs beside the batches, leaves those
     * rows be (their values are newer than what the chunk read). The switch migration drops it.
     */
    public static final String TOUCHED = ColumnRebuild.MARKER;

    /** The prefix of a column the switch replaced, kept until the contract phase. */
    public static final String PREVIOUS = "_ls_prev_";

    /**
     * Rows of {@code table} (the target {@code target}) to derive again for {@code column}; how, in {@code how}.
     * {@code into} is the shadow column the coordinator rebuilds the column into, and {@code fallback} the column
     * whose value rows the raw layer cannot derive keep (historical SCD 2 versions, deleted source rows); {@code into}
     * is empty for a rebuild the coordinator does not run (a new dimension, a reference's key resolved again,
     * SCD 2 → 1). A new fact is
     * rebuilt whole ({@value #ALL_ROWS}) into its shadow table {@code into}.
     */
    public record Rebuild(String target, String table, String column, String how, Optional<String> into,
            Optional<String> fallback) {
        public Rebuild {
            requireNonNull(target, "target");
            requireNonNull(table, "table");
            requireNonNull(column, "column");
            requireNonNull(how, "how");
            requireNonNull(into, "into");
            requireNonNull(fallback, "fallback");
        }

        /** Returns true when it loads every row of a new target into shadow table {@code into}. */
        public boolean loadsTarget() {
            return column.equals(ALL_ROWS) && into.isPresent();
        }
    }

    /**
     * An index the deployment builds after its expand phase and before its rebuild, outside the control point and
     * outside any transaction ({@code CREATE INDEX CONCURRENTLY}: writes go on while it builds), with the statements
     * that follow it (its comment). Not a versioned migration: an index of that name left invalid by a killed build is
     * dropped and built again; one the deployment's rollback leaves behind harms nothing (a rule's index is dropped
     * when no rule needs it, at the next switch).
     *
     * @param schema the schema of the index (its table's)
     * @param name the index
     * @param statements {@code CREATE INDEX CONCURRENTLY IF NOT EXISTS …}, then what follows it
     */
    public record ConcurrentIndex(String schema, String name, List<String> statements) {
        public ConcurrentIndex {
            requireNonNull(schema, "schema");
            requireNonNull(name, "name");
            statements = List.copyOf(statements);
            if (statements.isEmpty() || !statements.get(0).startsWith("CREATE INDEX CONCURRENTLY IF NOT EXISTS ")) {
                throw new IllegalArgumentException("an index built concurrently starts with CREATE INDEX CONCURRENTLY "
                        + "IF NOT EXISTS: " + statements);
            }
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
        indexes = List.copyOf(indexes);
        rebuilds = List.copyOf(rebuilds);
        switchOver = List.copyOf(switchOver);
        contract = List.copyOf(contract);
        expandDown = List.copyOf(expandDown);
        switchDown = List.copyOf(switchDown);
        contractDown = List.copyOf(contractDown);
    }

    /** Returns true when the diff needs no DDL and no rebuild. */
    public boolean isEmpty() {
        return expand.isEmpty() && indexes.isEmpty() && rebuilds.isEmpty() && switchOver.isEmpty()
                && contract.isEmpty();
    }

    /** Returns the generated scripts as the linter reads them: expand and contract, each with its down script. */
    public List<Script> scripts(int version) {
        return scripts(version, List.of());
    }

    /** The name the linter and the plan give the statements of {@link #indexes}: not a versioned migration. */
    public static final String INDEXES_SCRIPT = "indexes built concurrently";

    /**
     * Returns the deployment's scripts in the order they run, as the linter reads them: the generated expand phase
     * ({@code V<version>__expand.sql}), the indexes built concurrently ({@value #INDEXES_SCRIPT}), the generated
     * switch, the hand-written migrations (after the switch: contract phase, which may drop), then the generated
     * contract phase, the migrations numbered on from {@code version}.
     */
    public List<Script> scripts(int version, List<HandWrittenMigration> handWritten) {
        List<Script> scripts = new ArrayList<>();
        int next = version;
        if (!expand.isEmpty()) {
            scripts.add(Script.generated("V" + next++ + "__expand.sql", script(expand), Script.Phase.EXPAND));
        }
        if (!indexes.isEmpty()) {
            scripts.add(Script.generated(INDEXES_SCRIPT, String.join("\n", indexStatements()) + "\n",
                    Script.Phase.EXPAND));
        }
        if (!switchOver.isEmpty()) {
            scripts.add(Script.generated("V" + next++ + "__switch.sql", script(switchOver), Script.Phase.SWITCH));
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

    /**
     * Returns the tables the expand phase alters, each once, qualified as its statements name them (a table the
     * expand creates and then alters among them).
     */
    public List<String> expandAltered() {
        return expand.stream().map(ALTERED::matcher).filter(Matcher::find).map(m -> m.group(1)).distinct().toList();
    }

    /** Returns the statements of {@link #indexes}, in the order they run. */
    public List<String> indexStatements() {
        return indexes.stream().flatMap(i -> i.statements().stream()).toList();
    }

    /**
     * Tells whether a contract statement drops only the deployment's bookkeeping — an index no rule needs —, nothing
     * a reader may use: a contract of such statements alone runs without {@code --contract}.
     */
    public static boolean bookkeeping(String statement) {
        return statement.startsWith("DROP INDEX");
    }

    /** Returns {@code statements} as one script, after {@link #LOCK_TIMEOUT}. */
    public static String script(List<String> statements) {
        return LOCK_TIMEOUT + "\n" + String.join("\n", statements) + "\n";
    }

    /** Returns the DDL of {@code diff} from {@code deployed} to {@code next}; refused operations add nothing. */
    public static MigrationPlan of(Diff diff, StarSchema deployed, StarSchema next) {
        PhasedDdl plan = new PhasedDdl(deployed, next);
        // A type change first: a column whose expression changes its type too is described by its new type.
        diff.operations().stream().filter(o -> o.kind() == Operation.Kind.CHANGE_TYPE).forEach(plan::add);
        // A dropped dimension last: the facts' references to it (and their foreign keys) are dropped first.
        diff.operations().stream().filter(o -> o.kind() != Operation.Kind.CHANGE_TYPE
                && o.kind() != Operation.Kind.DROP_DIMENSION).forEach(plan::add);
        diff.operations().stream().filter(o -> o.kind() == Operation.Kind.DROP_DIMENSION).forEach(plan::add);
        plan.ruleIndexes();
        plan.lookupIndexes();
        return plan.build();
    }

    /** Returns the schema that keeps what a contract phase drops and the raw layer cannot derive again. */
    public static String retiredSchema(StarSchema star) {
        return retiredSchema(star.schema());
    }

    /** Returns the schema where deployments keep what they remove and the raw layer cannot give back. */
    public static String retiredSchema(String warehouseSchema) {
        return warehouseSchema + "_retired";
    }
}
