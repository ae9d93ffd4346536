package dev.lockstep.runtime;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.migrations.DeploymentState;
import dev.lockstep.migrations.ControlPointMigration;
import dev.lockstep.migrations.Deployments;
import dev.lockstep.migrations.InMigration;
import dev.lockstep.migrations.WarehouseMigrations;
import dev.lockstep.migrations.plan.MigrationPlan;
import dev.lockstep.migrations.plan.Operation;
import dev.lockstep.warehouse.apply.ShadowTargets;
import dev.lockstep.warehouse.star.ColumnRebuild;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of one recorded deployment, as {@link Deployer} (the apply stage paused) and {@link LiveDeployment}
 * (between a running applier's batches) both run them: each applies the deployment's stored migrations of one
 * phase through Flyway, or rebuilds one chunk of a shadow column; the caller records the states between them.
 */
final class DeploymentSteps implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeploymentSteps.class);
    /** How long a chunk running beside the batches waits for a row lock a batch holds. */
    static final Duration CHUNK_LOCK_WAIT = Duration.ofMillis(100);

    private final DeploymentPlan plan;
    private final DataSource warehouse;
    private final Deployments deployments;
    private final int version;
    /** The definition text of the version, as recorded. */
    private final String text;
    private final WarehouseMigrations migrations;
    /** This deployment's stored migrations: Flyway version to file name. */
    private final Map<Integer, String> scripts;
    /** The column rebuilds, by their index in the plan's rebuilds; the others load new targets. */
    private final Map<Integer, ColumnRebuild> columns = new LinkedHashMap<>();
    /** The new dimensions and facts loaded by the applier: target to table name (a fact's shadow table). */
    private final Map<String, String> newTargets = new LinkedHashMap<>();
    private final List<Integer> applied = new ArrayList<>();
    private int rebuilding;
    private Optional<List<String>> after = Optional.empty();
    /** The source table's last key when the current column's rebuild began (null: not begun, or empty). */
    private List<String> upTo;
    /** The connection the chunks run on, open while the rebuild goes (its statements are prepared once). */
    private Connection chunks;
    private long rebuiltRows;
    /** The migrations made ready for their control point, by phase ({@link #prepare}). */
    private final Map<String, ControlPointMigration> prepared = new ConcurrentHashMap<>();
    /** Whether this applied the expand migration: the tables' marks are all fresh then. */
    private boolean expanded;

    DeploymentSteps(DeploymentPlan plan, DataSource warehouse, int version) {
        this.plan = requireNonNull(plan, "plan");
        this.warehouse = requireNonNull(warehouse, "warehouse");
        this.version = version;
        this.deployments = new Deployments(warehouse, plan.definition().pipeline());
        this.scripts = deployments.migrations(version);
        this.text = deployments.version(version).orElseThrow().definition();
        this.migrations = WarehouseMigrations.builder().dataSource(warehouse).pipeline(plan.definition().pipeline())
                .warehouseSchema(plan.definition().warehouse().schema())
                .deployment(WarehouseMigrations.Deployment.of(version, text)).build();
        List<MigrationPlan.Rebuild> all = plan.migrations().rebuilds();
        for (int i = 0; i < all.size(); i++) {
            MigrationPlan.Rebuild rebuild = all.get(i);
            if (rebuild.loadsTarget()) {
                newTargets.put(rebuild.target(), rebuild.into().orElseThrow());
            } else {
                columns.put(i, ColumnRebuild.of(plan.star(), rebuild.target(), rebuild.column(),
                        rebuild.into().orElseThrow(), rebuild.fallback()));
            }
        }
    }

    int version() {
        return version;
    }

    DeploymentPlan plan() {
        return plan;
    }

    Deployments deployments() {
        return deployments;
    }

    /** Returns the shadow columns this deployment rebuilds. */
    List<ColumnRebuild> rebuilds() {
        return List.copyOf(columns.values());
    }

    /** Returns the new dimensions and facts this deployment loads: target to table name (a fact's shadow table). */
    Map<String, String> newTargets() {
        return Map.copyOf(newTargets);
    }

    /** Returns the migrations these steps applied, ascending. */
    List<Integer> applied() {
        return List.copyOf(applied);
    }

    long rebuiltRows() {
        return rebuiltRows;
    }

    /** Applies the expand migration (additive DDL: the shadow columns), if the deployment has one. */
    void expand() {
        expanded = true;
        long started = System.nanoTime();
        ControlPointMigration ready = prepared.remove("expand");
        if (ready != null) {
            applied.addAll(ready.apply(null));
        }
        if (ready != null || migrate("expand")) {
            LOG.info("pipeline '{}': deployment {}: expanded in {} ms", pipeline(), version,
                    (System.nanoTime() - started) / 1_000_000);
        }
    }

    /**
     * Makes the migration of {@code phase} (expand, switch) ready for the control point that applies it, off the
     * applying thread ({@link ControlPointMigration}): its control point then holds only its DDL. Nothing is made
     * ready when it is applied already, or (the switch) before the expand is applied; the control point then has
     * Flyway apply it.
     */
    void prepare(String phase) {
        versionOf(phase).flatMap(migrations::prepare).ifPresent(ready -> prepared.put(phase, ready));
    }

    /**
     * Holds the tables the migration of {@code phase} (expand, switch) alters against autovacuum until it applies
     * ({@link ControlPointMigration#hold}), if it was made ready: off the applying thread, after its planning (the
     * expand) or once every chunk is done (the switch).
     */
    void hold(String phase) throws SQLException {
        ControlPointMigration ready = prepared.get(phase);
        if (ready != null) {
            ready.hold(phase.equals("expand") ? plan.migrations().expandAltered()
                    : plan.migrations().rebuilds().stream().map(MigrationPlan.Rebuild::table).distinct().toList());
        }
    }

    /**
     * Builds the deployment's new indexes concurrently ({@link ConcurrentIndexes}): after the expand phase and before
     * the first rebuild chunk, again when the rebuild starts again.
     */
    void buildIndexes() throws SQLException {
        ConcurrentIndexes.build(warehouse, plan.migrations().indexes(), pipeline(), version);
    }

    /**
     * Rebuilds the next chunk of {@code size} source rows into the current shadow column, or loads them into the
     * current new target's table through {@code facts} (the applier at its control point, which every batch
     * loads the new targets with too), in its own transaction; returns false once every rebuild is done.
     */
    boolean rebuildChunk(int size, ShadowTargets facts) throws SQLException {
        return rebuildChunk(size, facts, false);
    }

    /** Tells whether every rebuild is done. */
    boolean rebuilt() {
        return rebuilding >= plan.migrations().rebuilds().size();
    }

    /** Tells whether the next chunk rebuilds a shadow column (it may run beside the batches), not a new target. */
    boolean columnNext() {
        return rebuilding < plan.migrations().rebuilds().size() && columns.containsKey(rebuilding);
    }

    /**
     * Like {@link #rebuildChunk(int, ShadowTargets)}; {@code besideBatches}: the chunk runs while the applier loads
     * batches, so it waits at most {@link #CHUNK_LOCK_WAIT} for a row a batch holds (then it fails with SQLSTATE
     * 55P03, rolled back, to be run again: a batch never waits for a chunk that waits for it).
     */
    boolean rebuildChunk(int size, ShadowTargets facts, boolean besideBatches) throws SQLException {
        List<MigrationPlan.Rebuild> all = plan.migrations().rebuilds();
        if (rebuilding >= all.size()) {
            return false;
        }
        ColumnRebuild column = columns.get(rebuilding);
        if (column == null) {
            String target = all.get(rebuilding).target();
            if (upTo == null) {
                upTo = facts.end(target).orElse(null);
            }
            if (upTo != null) {
                ColumnRebuild.Chunk chunk = facts.backfill(target, after, upTo, size);
                rebuiltRows += chunk.rows();
                after = chunk.lastKey();
            }
        } else {
            if (chunks == null) {
                chunks = warehouse.getConnection();
                try (Statement s = chunks.createStatement()) {
                    // The expressions see the definition's calendar, as the applier's do.
                    s.execute(plan.star().setTimeZone());
                }
                chunks.setAutoCommit(false);
            }
            Connection c = chunks;
            try {
                if (besideBatches) {
                    try (Statement s = c.createStatement()) {
                        s.execute("SELECT set_config('lock_timeout', '" + CHUNK_LOCK_WAIT.toMillis() + "ms', true)");
                    }
                }
                if (upTo == null) {
                    upTo = column.lastKey(c).orElse(null); // null again: an empty table, nothing to derive
                }
                if (upTo != null) {
                    ColumnRebuild.Chunk chunk = column.chunk(c, after, upTo, size);
                    rebuiltRows += chunk.rows();
                    after = chunk.lastKey();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                closeChunks();
                throw e;
            }
        }
        if (upTo == null) {
            after = Optional.empty();
        }
        if (after.isEmpty()) {
            upTo = null;
            LOG.info("pipeline '{}': deployment {}: rebuilt {} from the raw layer", pipeline(), version,
                    describe(all.get(rebuilding)));
            rebuilding++;
        }
        if (rebuilding >= all.size()) {
            closeChunks();
        }
        return rebuilding < all.size();
    }

    /**
     * Takes the marks off the rebuilt tables' rows before a rebuild that starts again (the deployment was expanded
     * by a process before this one, or a step failed): from the first row on, the chunks derive every row that no
     * batch marks from now on. Runs where no batch loads meanwhile (a control point, a paused stream).
     */
    void clearMarks() throws SQLException {
        if (expanded || columns.isEmpty()) {
            return;
        }
        Set<String> statements = new TreeSet<>();
        columns.values().forEach(column -> statements.add(column.clearMarks()));
        long started = System.nanoTime();
        long rows = 0;
        try (Connection c = warehouse.getConnection(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                rows += s.executeUpdate(statement);
            }
        }
        LOG.info("pipeline '{}': deployment {}: the rebuild starts again; {} row mark(s) cleared in {} ms", pipeline(),
                version, rows, (System.nanoTime() - started) / 1_000_000);
    }

    /** Returns what the rebuild has done, for {@code status}. */
    String progress() {
        List<MigrationPlan.Rebuild> all = plan.migrations().rebuilds();
        if (rebuilding >= all.size()) {
            return String.format("rebuilt %,d row(s); switching", rebuiltRows);
        }
        return String.format("rebuilding %s (%d of %d), %,d row(s) so far", describe(all.get(rebuilding)),
                rebuilding + 1, all.size(), rebuiltRows);
    }

    /** Closes the chunks' connection, if open, and lets go of the locks a switch made ready holds. */
    @Override
    public void close() {
        closeChunks();
        prepared.values().forEach(ControlPointMigration::close); // the locks a switch held, were it not applied
        prepared.clear();
    }

    /** Closes the chunks' connection, if open; the next chunk opens another. */
    private void closeChunks() {
        if (chunks != null) {
            try {
                chunks.close();
            } catch (SQLException e) {
                LOG.debug("closing the rebuild's connection", e);
            }
            chunks = null;
        }
    }

    /**
     * Derives again, from the raw layer, the shadow columns of the targets whose lookups this deployment adds or
     * changes, for the rows joined to a looked-up row that changed after {@code since} (where the running applier
     * began its shadow writes): the applier touches rows by the lookups of the version it loads with, so a change of
     * a row only the new version looks up reached none of them. Runs at the control point of the switch, after the
     * last chunk; nothing to do for a deployment that changes no lookup.
     */
    void lookupChanges(StreamPosition since) throws SQLException {
        Set<String> targets = new TreeSet<>();
        for (Operation op : plan.diff().operations()) {
            if (op.kind() == Operation.Kind.ADD_LOOKUP || op.kind() == Operation.Kind.CHANGE_LOOKUP) {
                targets.add(op.target());
            }
        }
        List<ColumnRebuild> affected = columns.values().stream().filter(c -> targets.contains(c.target())).toList();
        if (affected.isEmpty()) {
            return;
        }
        try (Connection c = warehouse.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute(plan.star().setTimeZone());
            }
            long rows = 0;
            for (ColumnRebuild column : affected) {
                rows += column.lookupChanges(c, since.commitLsn(), since.sequence());
            }
            c.commit();
            LOG.info("pipeline '{}': deployment {}: derived {} row(s) again whose looked-up rows changed after {}",
                    pipeline(), version, rows, since);
        }
    }

    /** Tells whether the switch migration was applied already (a deploy killed before recording it). */
    boolean switchApplied() {
        return applied("switch");
    }

    /**
     * Applies the switch migration (the shadow columns renamed into place) and, in its transaction, everything else
     * the switch means ({@link SwitchRecord}); the caller holds the apply stage at a batch boundary. One transaction:
     * a failure leaves the version before in place whole, and the applier goes on loading with it; there is no moment
     * where the schema is switched and the record is not.
     */
    void switchOver() throws SQLException {
        closeChunks();
        long started = System.nanoTime();
        Optional<Integer> migration = versionOf("switch");
        long[] recording = new long[1];
        InMigration record = c -> {
            long from = System.nanoTime();
            SwitchRecord.write(c, plan, deployments, version);
            recording[0] = System.nanoTime() - from;
        };
        boolean recorded = false;
        if (migration.isPresent()) {
            ControlPointMigration ready = prepared.remove("switch");
            List<Integer> now = ready != null ? ready.apply(record) : migrations.migrateTo(migration.get(), record);
            applied.addAll(now);
            recorded = now.contains(migration.get());
        }
        if (!recorded) {
            // No switch migration (rules, pii), or one applied by a build that recorded the switch apart.
            try (Connection c = warehouse.getConnection()) {
                c.setAutoCommit(false);
                record.run(c);
                c.commit();
            }
        }
        long done = System.nanoTime();
        LOG.info("pipeline '{}': switched to definition version {} in {} ms (of which rule indexes, ledger and record "
                + "{} ms)", pipeline(), version, (done - started) / 1_000_000, recording[0] / 1_000_000);
    }

    /** Applies the deployment's hand-written migrations (after the switch). */
    void handWritten() {
        scripts.entrySet().stream().filter(e -> !generated(e.getValue())).map(Map.Entry::getKey)
                .max(Integer::compare).ifPresent(v -> applied.addAll(migrations.migrateTo(v)));
    }

    /** Tells whether the contract phase drops anything a reader may use (a rule's index apart). */
    boolean contractDrops() {
        return plan.migrations().contract().stream().anyMatch(s -> !MigrationPlan.bookkeeping(s))
                && !applied("contract");
    }

    /** Applies the contract migration, if the deployment has one. */
    void contract() {
        migrate("contract");
    }

    /** Moves the deployment to {@code state}. */
    void state(DeploymentState state) {
        deployments.state(version, state);
    }

    /** Returns the deployment the applier loads with once switched. */
    WarehouseDeployment switched(WarehouseDeployment before) {
        return new WarehouseDeployment(plan.definition(), plan.star().sources(), plan.star(),
                new WarehouseMigrations.Result(applied, List.of(), List.of()), version, before.text()
                        .other("deployed version " + version, text));
    }

    /** Applies the deployment's migration of {@code phase}; returns false when it has none. */
    private boolean migrate(String phase) {
        Optional<Integer> version = versionOf(phase);
        version.ifPresent(v -> applied.addAll(migrations.migrateTo(v)));
        return version.isPresent();
    }

    /** Returns the version of the deployment's migration of {@code phase}, if it has one. */
    private Optional<Integer> versionOf(String phase) {
        return scripts.entrySet().stream().filter(e -> e.getValue().endsWith("__" + phase + ".sql"))
                .map(Map.Entry::getKey).findFirst();
    }

    private boolean applied(String phase) {
        return migrations.info().stream().filter(i -> i.getVersion() != null && i.getState().isApplied())
                .anyMatch(i -> phase.equals(phaseOf(scripts.get(Integer.parseInt(i.getVersion().getVersion())))));
    }

    private static String phaseOf(String file) {
        if (file == null) {
            return "";
        }
        for (String phase : List.of("expand", "switch", "contract")) {
            if (file.endsWith("__" + phase + ".sql")) {
                return phase;
            }
        }
        return "hand-written";
    }

    private static boolean generated(String file) {
        return !phaseOf(file).equals("hand-written");
    }

    private static String describe(MigrationPlan.Rebuild rebuild) {
        return rebuild.table().replace("\"", "") + "." + rebuild.column();
    }

    private String pipeline() {
        return plan.definition().pipeline();
    }
}
