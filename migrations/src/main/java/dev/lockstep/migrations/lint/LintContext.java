package dev.lockstep.migrations.lint;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the linter knows about the warehouse and the deployment besides the scripts. Table names are qualified
 * catalog names ({@code schema.table} as PostgreSQL stores them: lower case unless created quoted); names in the
 * scripts are resolved against {@code defaultSchema} when unqualified. Immutable; {@code with*} returns a copy.
 *
 * @param defaultSchema the schema unqualified names resolve to (the pipeline's warehouse schema, Flyway's search
 *     path); {@code public} by default
 * @param tableRows existing tables' sizes in rows (e.g. {@code pg_class.reltuples}); a table missing here is of
 *     unknown size, which counts as large
 * @param largeTableRows from how many rows a table is large, {@value #DEFAULT_LARGE_TABLE_ROWS} by default
 * @param applierTables the raw and star tables the applier owns, which hand-written scripts must not write
 * @param keyChangesWithoutRebuild the targets whose key or grain changes in this deployment without a rebuild
 * @param runnerSetsLockTimeout whether the runner sets {@code lock_timeout} before each generated script, so that
 *     generated scripts need not set it themselves (hand-written ones always must)
 */
public record LintContext(String defaultSchema, Map<String, Long> tableRows, long largeTableRows,
        Set<String> applierTables, List<KeyChange> keyChangesWithoutRebuild, boolean runnerSetsLockTimeout) {

    /** From how many rows a table counts as large for {@code require-concurrent-index-creation}. */
    public static final long DEFAULT_LARGE_TABLE_ROWS = 10_000;

    /**
     * A target whose key or grain changes without a rebuild, as the typed definition diff reports it.
     *
     * @param target the target's name in the definition, e.g. {@code customer}
     * @param table its qualified warehouse table, e.g. {@code shop_dw.dim_customer}
     * @param change what changes, for the message, e.g. {@code key id → (id, region)}
     */
    public record KeyChange(String target, String table, String change) {
        public KeyChange {
            requireNonNull(target, "target");
            requireNonNull(table, "table");
            requireNonNull(change, "change");
        }
    }

    public LintContext {
        requireNonNull(defaultSchema, "defaultSchema");
        tableRows = Map.copyOf(tableRows);
        applierTables = Set.copyOf(applierTables);
        keyChangesWithoutRebuild = List.copyOf(keyChangesWithoutRebuild);
        if (largeTableRows < 0) {
            throw new IllegalArgumentException("largeTableRows must not be negative: " + largeTableRows);
        }
    }

    /** Returns a context that knows no tables: schema {@code public}, default threshold, runner sets nothing. */
    public static LintContext empty() {
        return new LintContext("public", Map.of(), DEFAULT_LARGE_TABLE_ROWS, Set.of(), List.of(), false);
    }

    public LintContext withDefaultSchema(String schema) {
        return new LintContext(schema, tableRows, largeTableRows, applierTables, keyChangesWithoutRebuild,
                runnerSetsLockTimeout);
    }

    public LintContext withTableRows(Map<String, Long> rows) {
        return new LintContext(defaultSchema, rows, largeTableRows, applierTables, keyChangesWithoutRebuild,
                runnerSetsLockTimeout);
    }

    public LintContext withLargeTableRows(long rows) {
        return new LintContext(defaultSchema, tableRows, rows, applierTables, keyChangesWithoutRebuild,
                runnerSetsLockTimeout);
    }

    public LintContext withApplierTables(Set<String> tables) {
        return new LintContext(defaultSchema, tableRows, largeTableRows, tables, keyChangesWithoutRebuild,
                runnerSetsLockTimeout);
    }

    public LintContext withKeyChangesWithoutRebuild(List<KeyChange> changes) {
        return new LintContext(defaultSchema, tableRows, largeTableRows, applierTables, changes,
                runnerSetsLockTimeout);
    }

    public LintContext withRunnerSetsLockTimeout(boolean sets) {
        return new LintContext(defaultSchema, tableRows, largeTableRows, applierTables, keyChangesWithoutRebuild,
                sets);
    }

    /** Tells whether {@code table} (qualified) is large: at least {@link #largeTableRows} rows, or of unknown size. */
    boolean isLarge(String table) {
        Long rows = tableRows.get(table);
        return rows == null || rows >= largeTableRows;
    }
}
