package dev.lockstep.runtime;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.migrations.lint.MigrationLint;
import dev.lockstep.migrations.plan.HandWrittenMigration;
import dev.lockstep.migrations.plan.MigrationPlan;
import dev.lockstep.warehouse.star.ColumnRebuild;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Runs a deployment plan's scripts — up in the order a deployment runs them (each shadow column rebuilt on a sample
 * of its source rows after the expand), then every down script in reverse — inside one transaction on the live
 * warehouse that is rolled back, with {@code lock_timeout} and
 * {@code statement_timeout} bounding what it may wait for and take: each statement's time and the locks it took on
 * tables that existed before (the live ones) are recorded. Statements that cannot run in a transaction
 * ({@code CONCURRENTLY}) are listed, not run. Nothing is left behind.
 */
public final class DryRun {

    /** One statement: its script, number and text; its time, the live tables it locked (and how); or why it was not run. */
    public record Step(String script, int number, String sql, Duration took, Map<String, String> locks,
            Optional<String> skipped) {}

    /** The steps run and, when one failed, its error (the transaction was rolled back there). */
    public record Result(List<Step> steps, Optional<String> failure, Optional<String> failureState) {}

    private static final Pattern CONCURRENTLY = Pattern.compile("(?i)\\bCONCURRENTLY\\b");
    /** PostgreSQL's table lock modes, weakest first. */
    private static final List<String> MODES = List.of("AccessShareLock", "RowShareLock", "RowExclusiveLock",
            "ShareUpdateExclusiveLock", "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock");

    private DryRun() {}

    /** Dry-runs {@code plan} on the warehouse behind {@code warehouse}, whose live tables are in {@code schemas}. */
    public static Result of(DeploymentPlan plan, DataSource warehouse, List<String> schemas, Duration lockTimeout,
            Duration statementTimeout) {
        requireNonNull(plan, "plan");
        Map<String, List<String>> scripts = new LinkedHashMap<>();
        MigrationPlan migrations = plan.migrations();
        if (!migrations.expand().isEmpty()) {
            scripts.put("expand", migrations.expand());
        }
        if (!migrations.indexes().isEmpty()) {
            // Listed, not run (CONCURRENTLY); nor what follows each, which needs the index.
            scripts.put(MigrationPlan.INDEXES_SCRIPT, migrations.indexes().stream().map(i -> i.statements().get(0))
                    .toList());
        }
        if (!migrations.switchOver().isEmpty()) {
            scripts.put("switch", migrations.switchOver());
        }
        for (HandWrittenMigration migration : plan.handWritten()) {
            scripts.put(migration.fileName(), MigrationLint.statements(migration.up()));
        }
        if (!migrations.contract().isEmpty()) {
            scripts.put("contract", migrations.contract());
        }
        if (!migrations.contractDown().isEmpty()) {
            scripts.put("contract, down", migrations.contractDown());
        }
        List<HandWrittenMigration> reversed = new ArrayList<>(plan.handWritten());
        Collections.reverse(reversed);
        for (HandWrittenMigration migration : reversed) {
            migration.down().ifPresent(down -> scripts.put(migration.fileName() + ", down",
                    MigrationLint.statements(down)));
        }
        if (!migrations.switchDown().isEmpty()) {
            scripts.put("switch, down", migrations.switchDown());
        }
        if (!migrations.expandDown().isEmpty()) {
            scripts.put("expand, down", migrations.expandDown());
        }
        try (Connection c = warehouse.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute(plan.star().setTimeZone()); // undone with the transaction's rollback
            }
            try {
                return run(c, scripts, rebuilds(plan), schemas, lockTimeout, statementTimeout);
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot dry-run the deployment on the warehouse: "
                    + e.getMessage(), e);
        }
    }

    /** The rows of the source table each shadow column's rebuild is dry-run on: its first ones. */
    static final int SAMPLE_ROWS = 1_000;

    /** A rebuild to dry-run on a sample, after the expand script: a shadow column's, or a new fact not run. */
    private record Rebuild(String what, Optional<ColumnRebuild> column) {}

    private static List<Rebuild> rebuilds(DeploymentPlan plan) {
        List<Rebuild> rebuilds = new ArrayList<>();
        for (MigrationPlan.Rebuild rebuild : plan.migrations().rebuilds()) {
            String what = rebuild.table().replace("\"", "") + "." + rebuild.column();
            rebuilds.add(rebuild.loadsTarget() || rebuild.into().isEmpty() ? new Rebuild(what, Optional.empty())
                    : new Rebuild(what, Optional.of(ColumnRebuild.of(plan.star(), rebuild.target(), rebuild.column(),
                            rebuild.into().get(), rebuild.fallback()))));
        }
        return rebuilds;
    }

    private static Result run(Connection c, Map<String, List<String>> scripts, List<Rebuild> rebuilds,
            List<String> schemas, Duration lockTimeout, Duration statementTimeout) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL lock_timeout = '" + lockTimeout.toMillis() + "ms'");
            s.execute("SET LOCAL statement_timeout = '" + statementTimeout.toMillis() + "ms'");
        }
        List<Long> live = new ArrayList<>(); // the tables that exist before the scripts run
        try (PreparedStatement ps = c.prepareStatement("SELECT t.oid::bigint FROM pg_class t JOIN pg_namespace n ON "
                + "n.oid = t.relnamespace WHERE t.relkind IN ('r', 'p') AND n.nspname = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    live.add(rs.getLong(1));
                }
            }
        }
        List<Step> steps = new ArrayList<>();
        Map<String, String> held = new HashMap<>();
        try (PreparedStatement locks = c.prepareStatement("SELECT n.nspname || '.' || t.relname, l.mode FROM pg_locks "
                + "l JOIN pg_class t ON t.oid = l.relation JOIN pg_namespace n ON n.oid = t.relnamespace WHERE "
                + "l.pid = pg_backend_pid() AND l.granted AND t.oid::bigint = ANY (?)")) {
            locks.setArray(1, c.createArrayOf("bigint", live.toArray()));
            for (Map.Entry<String, List<String>> script : scripts.entrySet()) {
                int number = 0;
                for (String sql : script.getValue()) {
                    number++;
                    String statement = sql.strip().replaceAll(";$", "");
                    if (CONCURRENTLY.matcher(statement).find()) {
                        steps.add(new Step(script.getKey(), number, statement, Duration.ZERO, Map.of(),
                                Optional.of("not dry-runnable: CONCURRENTLY cannot run in a transaction")));
                        continue;
                    }
                    long started = System.nanoTime();
                    try (Statement s = c.createStatement()) {
                        s.execute(statement);
                    } catch (SQLException e) {
                        steps.add(new Step(script.getKey(), number, statement, Duration.ofNanos(System.nanoTime()
                                - started), Map.of(), Optional.empty()));
                        return new Result(steps, Optional.of(script.getKey() + ", statement " + number + ": "
                                + e.getMessage()), Optional.ofNullable(e.getSQLState()));
                    }
                    Duration took = Duration.ofNanos(System.nanoTime() - started);
                    steps.add(new Step(script.getKey(), number, statement, took, newLocks(locks, held),
                            Optional.empty()));
                }
                if (script.getKey().equals("expand")) {
                    Optional<Result> failed = sampleRebuilds(c, rebuilds, steps, locks, held);
                    if (failed.isPresent()) {
                        return failed.get();
                    }
                }
            }
        }
        return new Result(steps, Optional.empty(), Optional.empty());
    }

    /**
     * Rebuilds each shadow column on the first {@link #SAMPLE_ROWS} rows of its source table, as a deployment's
     * first chunk does: how long a chunk takes, whether the expression fails on those rows. A new fact is listed:
     * the applier loads it.
     */
    private static Optional<Result> sampleRebuilds(Connection c, List<Rebuild> rebuilds, List<Step> steps,
            PreparedStatement locks, Map<String, String> held) throws SQLException {
        int number = 0;
        for (Rebuild rebuild : rebuilds) {
            number++;
            String what = "of " + rebuild.what() + " (a sample of up to " + SAMPLE_ROWS + " source rows)";
            if (rebuild.column().isEmpty()) {
                steps.add(new Step("rebuild", number, "load " + rebuild.what() + " from the raw layer", Duration.ZERO,
                        Map.of(), Optional.of("not dry-runnable: the applier loads it, batch by batch")));
                continue;
            }
            long started = System.nanoTime();
            try {
                ColumnRebuild column = rebuild.column().get();
                Optional<List<String>> last = column.lastKey(c);
                long rows = last.isEmpty() ? 0 : column.chunk(c, Optional.empty(), last.get(), SAMPLE_ROWS).rows();
                steps.add(new Step("rebuild", number, rows + " row(s) " + what,
                        Duration.ofNanos(System.nanoTime() - started), newLocks(locks, held), Optional.empty()));
            } catch (SQLException e) {
                steps.add(new Step("rebuild", number, what, Duration.ofNanos(System.nanoTime() - started), Map.of(),
                        Optional.empty()));
                return Optional.of(new Result(steps, Optional.of("rebuild " + rebuild.what() + ": " + e.getMessage()),
                        Optional.ofNullable(e.getSQLState())));
            }
        }
        return Optional.empty();
    }

    /** Returns the live tables locked since the last call, or locked more strongly, with their strongest mode. */
    private static Map<String, String> newLocks(PreparedStatement locks, Map<String, String> held)
            throws SQLException {
        Map<String, String> taken = new LinkedHashMap<>();
        try (ResultSet rs = locks.executeQuery()) {
            while (rs.next()) {
                String table = rs.getString(1);
                String mode = rs.getString(2);
                String before = held.get(table);
                if (before == null || MODES.indexOf(mode) > MODES.indexOf(before)) {
                    held.put(table, mode);
                    taken.merge(table, mode, (a, b) -> MODES.indexOf(a) >= MODES.indexOf(b) ? a : b);
                }
            }
        }
        taken.replaceAll((table, mode) -> mode.replaceAll("Lock$", "").replaceAll("([a-z])([A-Z])", "$1 $2")
                .toUpperCase(Locale.ROOT));
        return taken;
    }
}
