package dev.lockstep.migrations;

import static java.util.Objects.requireNonNull;

import dev.lockstep.control.ControlSchema;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.migrations.plan.HandWrittenMigration;
import dev.lockstep.warehouse.raw.MigrationScript;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * The versions of one pipeline's definition and where each deployment stands ({@code lockstep.deployments}): a
 * changed definition is recorded as the next version with its scripts, then moves through the states of
 * {@link DeploymentState}, each recorded in its own transaction so that a killed deploy resumes. Thread-safe; each
 * call uses its own connection.
 */
public final class Deployments {

    /** A script of a deployment and the phase it runs in. */
    public record Staged(MigrationScript script, WarehouseMigrations.Phase phase) {
        public Staged {
            requireNonNull(script, "script");
            requireNonNull(phase, "phase");
        }
    }

    private final DataSource dataSource;
    private final String pipeline;
    private final StoredMigrations store;

    public Deployments(DataSource dataSource, String pipeline) {
        this.dataSource = requireNonNull(dataSource, "dataSource");
        this.pipeline = requireNonNull(pipeline, "pipeline");
        this.store = new StoredMigrations(pipeline);
    }

    /** Returns the newest version not failed or rolled back, if any (see {@link WarehouseMigrations#latestDeployment}). */
    public Optional<WarehouseMigrations.Deployed> latest() {
        return WarehouseMigrations.latestDeployment(dataSource, pipeline);
    }

    /** Returns definition version {@code version} as deployed, whatever its state, if it was recorded. */
    public Optional<WarehouseMigrations.Deployed> version(int version) {
        try (Connection c = dataSource.getConnection()) {
            c.setReadOnly(true);
            return StoredMigrations.exist(c) ? store.deployed(c, version) : Optional.empty();
        } catch (SQLException e) {
            throw unavailable("cannot read definition version " + version, e);
        }
    }

    /** Returns the newest version older than {@code version} that switched: the one a deployment of it replaces. */
    public WarehouseMigrations.Deployed switchedBefore(int version) {
        for (int v = version - 1; v > 0; v--) {
            Optional<WarehouseMigrations.Deployed> d = version(v);
            if (d.isPresent() && d.get().state().switched()) {
                return d.get();
            }
        }
        throw new IllegalStateException("pipeline '" + pipeline + "': definition version " + version
                + " has no deployed version before it");
    }

    /** Returns the stored warehouse migrations of definition version {@code version}: version to Flyway file name. */
    public SortedMap<Integer, String> migrations(int version) {
        try (Connection c = dataSource.getConnection()) {
            c.setReadOnly(true);
            SortedMap<Integer, String> files = new TreeMap<>();
            store.list(c).values().stream().filter(m -> m.definitionVersion() == version)
                    .forEach(m -> files.put(m.version(), m.fileName()));
            return files;
        } catch (SQLException e) {
            throw unavailable("cannot read the warehouse migrations of definition version " + version, e);
        }
    }

    /**
     * Returns the stored descriptions of the hand-written migrations deployed and not undone by a rollback since
     * (a later deployment knows by them which of its folder's migrations ran).
     */
    public Set<String> deployedHandWritten() {
        return handWritten(0).stream().map(HandWrittenMigration::storedDescription).collect(Collectors.toSet());
    }

    /**
     * Returns the hand-written migrations that deployments after definition version {@code version} applied and no
     * rollback undid, newest first: what a rollback to {@code version} undoes.
     */
    public List<HandWrittenMigration> handWrittenAfter(int version) {
        List<HandWrittenMigration> undone = new ArrayList<>(handWritten(version));
        Collections.reverse(undone);
        return undone;
    }

    /** The hand-written migrations applied by definition versions after {@code after} and not undone since. */
    private List<HandWrittenMigration> handWritten(int after) {
        try (Connection c = dataSource.getConnection()) {
            c.setReadOnly(true);
            if (!StoredMigrations.exist(c)) {
                return List.of();
            }
            Map<String, StoredMigration> applied = new LinkedHashMap<>(); // by stored description, in version order
            for (StoredMigration m : store.list(c).values()) {
                if (m.appliedAt() == null) {
                    continue;
                }
                Optional<String> undone = HandWrittenMigration.undoneBy(m.description());
                applied.remove(undone.orElse(m.description()));
                if (undone.isEmpty()) {
                    applied.put(m.description(), m);
                }
            }
            List<HandWrittenMigration> migrations = new ArrayList<>();
            for (StoredMigration m : applied.values()) {
                if (m.definitionVersion() > after) {
                    HandWrittenMigration.stored(m.description(), m.up(), m.down()).ifPresent(migrations::add);
                }
            }
            return migrations;
        } catch (SQLException e) {
            throw unavailable("cannot read the stored warehouse migrations", e);
        }
    }

    /**
     * Records {@code definition} as the pipeline's next version, in state planned, with its scripts (stored once,
     * never regenerated), in one transaction; returns the version.
     *
     * @param lintOverrides the lint rules allowed, as a JSON array of {@code {"rule", "reason"}} objects
     * @param chunkRows source rows per rebuild chunk
     * @throws LockstepException ({@link ErrorCode#PIPELINE_STOPPED}) when a deployment of the pipeline is under way
     */
    public int begin(String definition, String operator, String lintOverrides, int chunkRows, List<Staged> scripts) {
        return begin(definition, operator, lintOverrides, chunkRows, scripts, Optional.empty());
    }

    /**
     * Records the deployment as {@link #begin(String, String, String, int, List)} does, with its contract phase due
     * by itself {@code contractAfter} after the switch (when present), in the same transaction.
     */
    public int begin(String definition, String operator, String lintOverrides, int chunkRows, List<Staged> scripts,
            Optional<java.time.Duration> contractAfter) {
        requireNonNull(definition, "definition");
        requireNonNull(lintOverrides, "lintOverrides");
        ControlSchema.of(dataSource).migrate();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Optional<Map.Entry<Integer, DeploymentState>> active = store.active(c);
                if (active.isPresent()) {
                    throw underWay(active.get());
                }
                int version = store.highestVersion(c) + 1;
                WarehouseMigrations.Deployment deployment = WarehouseMigrations.Deployment.of(version, definition);
                store.begin(c, deployment, operator, lintOverrides, chunkRows);
                if (contractAfter.isPresent()) {
                    store.delayContract(c, version, contractAfter.get());
                }
                for (Staged staged : scripts) {
                    if (!store.storeOnce(c, staged.script(), staged.phase().sql(), version)) {
                        throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "pipeline '" + pipeline
                                + "': warehouse migration V" + staged.script().version() + " is stored already; "
                                + "another deployment ran meanwhile, plan again");
                    }
                }
                c.commit();
                return version;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) { // deployments_one_active, or the version: another deploy won
                throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "pipeline '" + pipeline + "': another "
                        + "deployment started at the same moment; only one may be under way", e);
            }
            throw unavailable("cannot record the new definition version", e);
        }
    }

    /**
     * Stores {@code staged} as a migration of definition version {@code version} after the others (a rollback's
     * forward migration); returns its Flyway version.
     */
    public int store(int version, String description, String up, String down, WarehouseMigrations.Phase phase) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                int next = store.list(c).keySet().stream().max(Integer::compare).orElse(0) + 1;
                store.storeOnce(c, new MigrationScript(next, description, up, down), phase.sql(), version);
                c.commit();
                return next;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw unavailable("cannot store the migration " + description, e);
        }
    }

    /** Forgets the stored migrations of deployment {@code version} that were never applied. */
    public void forgetUnapplied(int version) {
        try (Connection c = dataSource.getConnection()) {
            store.forgetUnapplied(c, version);
        } catch (SQLException e) {
            throw unavailable("cannot forget the unapplied migrations of deployment " + version, e);
        }
    }

    /** Returns the version and state of the deployment under way, if one is. */
    public Optional<Map.Entry<Integer, DeploymentState>> active() {
        try (Connection c = dataSource.getConnection()) {
            c.setReadOnly(true);
            return StoredMigrations.exist(c) ? store.active(c) : Optional.empty();
        } catch (SQLException e) {
            throw unavailable("cannot read the deployment under way", e);
        }
    }

    /** Returns where the newest deployment stands, whatever its state, if one was recorded. */
    public Optional<DeploymentStatus> status() {
        try (Connection c = dataSource.getConnection()) {
            c.setReadOnly(true);
            return StoredMigrations.exist(c) ? store.status(c) : Optional.empty();
        } catch (SQLException e) {
            throw unavailable("cannot read the newest deployment", e);
        }
    }

    /**
     * Opens a watch of the newest deployment: its status read again and again on one connection (a deploy waiting
     * for the running pipeline polls it several times a second; a connection per poll costs the warehouse a backend
     * start each time, beside the stream).
     */
    public Watch watch() {
        try {
            Connection c = dataSource.getConnection();
            c.setReadOnly(true);
            c.setAutoCommit(true);
            return new Watch(c);
        } catch (SQLException e) {
            throw unavailable("cannot read the newest deployment", e);
        }
    }

    /** The newest deployment's status, read on a connection of its own until closed ({@link #watch}). */
    public final class Watch implements AutoCloseable {

        private final Connection connection;

        private Watch(Connection connection) {
            this.connection = connection;
        }

        /** Returns where the newest deployment stands now, if one was recorded. */
        public Optional<DeploymentStatus> status() {
            try {
                return Deployments.this.status(connection);
            } catch (SQLException e) {
                throw unavailable("cannot read the newest deployment", e);
            }
        }

        @Override
        public void close() {
            try {
                connection.close();
            } catch (SQLException e) {
                // nothing was written on it
            }
        }
    }

    /**
     * Returns where the newest deployment stands, read on {@code c} (the caller's connection and transaction): the
     * running applier looks on its own connection rather than opening one.
     */
    public Optional<DeploymentStatus> status(Connection c) throws SQLException {
        return StoredMigrations.exist(c) ? store.status(c) : Optional.empty();
    }

    /** Records the progress of deployment {@code version}'s step under way (null: none) and its last failure. */
    public void note(int version, String progress, String failure) {
        try (Connection c = dataSource.getConnection()) {
            store.note(c, version, progress, failure);
        } catch (SQLException e) {
            throw unavailable("cannot record the progress of deployment " + version, e);
        }
    }

    /**
     * Records the progress of deployment {@code version} as {@link #note(int, String, String)} does, on {@code c}
     * (the caller commits): the running applier notes its rebuild's progress once a second on its own connection.
     */
    public void note(Connection c, int version, String progress, String failure) throws SQLException {
        store.note(c, version, progress, failure);
    }

    /** Has the contract phase of deployment {@code version} run by itself {@code delay} after its switch. */
    public void delayContract(int version, java.time.Duration delay) {
        try (Connection c = dataSource.getConnection()) {
            store.delayContract(c, version, delay);
        } catch (SQLException e) {
            throw unavailable("cannot set the contract delay of deployment " + version, e);
        }
    }

    /** Asks for the contract phase of deployment {@code version}. */
    public void requestContract(int version) {
        try (Connection c = dataSource.getConnection()) {
            store.requestContract(c, version);
        } catch (SQLException e) {
            throw unavailable("cannot request the contract phase of deployment " + version, e);
        }
    }

    /** Moves deployment {@code version} to {@code state}. */
    public void state(int version, DeploymentState state) {
        state(version, state, null);
    }

    /**
     * Moves deployment {@code version} to {@code state}, recording {@code failure} (null for none); a failed or
     * rolled-back deployment's migrations that were never applied are forgotten in the same transaction.
     */
    public void state(int version, DeploymentState state, String failure) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                store.state(c, version, state, failure);
                if (state == DeploymentState.FAILED || state == DeploymentState.ROLLED_BACK) {
                    store.forgetUnapplied(c, version);
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw unavailable("cannot record deployment " + version + " as " + state.sql(), e);
        }
    }

    /**
     * Records that deployment {@code version} switched on {@code c}, in the caller's transaction (the one that
     * makes the switch): the stream position of the last change loaded under the previous version.
     */
    public void switched(Connection c, int version, long lsn, long sequence) throws SQLException {
        store.switched(c, version, lsn, sequence);
    }

    /** Returns the exception for a second deployment while {@code active} is under way. */
    public LockstepException underWay(Map.Entry<Integer, DeploymentState> active) {
        return new LockstepException(ErrorCode.PIPELINE_STOPPED, "pipeline '" + pipeline + "': deployment of "
                + "version " + active.getKey() + " is under way (" + active.getValue().sql() + "); only one may be: "
                + "`lockstep deploy` with that version's file resumes it"
                + (active.getValue() == DeploymentState.SWITCHED ? " (`--contract` finishes it)" : "")
                + ", `lockstep rollback` undoes it");
    }

    private LockstepException unavailable(String what, SQLException e) {
        return new LockstepException(ErrorCode.UNAVAILABLE, "pipeline '" + pipeline + "': " + what + ": "
                + e.getMessage(), e);
    }
}
