package dev.lockstep.runtime;

import dev.lockstep.migrations.DeploymentState;
import dev.lockstep.migrations.DeploymentStatus;
import dev.lockstep.migrations.Deployments;
import dev.lockstep.migrations.lint.Overrides;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deployment carried out by the running applier, at its control point between batches (a deploy handed to the
 * running pipeline, or one a killed deploy or run left under way): one step per control point — the expand
 * migration, then one rebuild chunk at a time while every batch also writes the shadow columns of the rows it
 * changes (and loads the new facts' shadow tables), then the switch, after which the applier loads with the new version; then the contract phase when it
 * was asked for. A step that fails (a lock it waited too long for, a connection lost) is recorded as the
 * deployment's failure and retried a little later; the stream goes on under the version it had.
 */
final class LiveDeployment {

    private static final Logger LOG = LoggerFactory.getLogger(LiveDeployment.class);

    /** How often the control point looks for a deployment to carry out, when none is under way here. */
    private static final long CHECK_NANOS = Duration.ofSeconds(1).toNanos();
    /** How long a failed step waits before it is tried again. */
    private static final long RETRY_NANOS = Duration.ofSeconds(5).toNanos();
    private final DataSource warehouse;
    private final Deployments deployments;
    /** The applier's connection, which looks for a deployment once a second (between transactions). */
    private final Connection connection;
    private long nextCheck;
    private DeploymentSteps steps;
    /** Source rows per rebuild chunk, as recorded: a chunk runs between two batches and adds to their latency. */
    private int chunkRows;
    private boolean writingShadows;
    /** The state of the deployment carried out here, as this applier moved it (read once when it starts). */
    private DeploymentState state;
    /** Whether the switch migration was found applied when the rebuild (re)started here; null until looked. */
    private Boolean switchApplied;
    private long nextNote;
    /** What the deployment under way here is doing, for the run's display; empty when none is. */
    private volatile Optional<String> doing = Optional.empty();

    LiveDeployment(DataSource warehouse, String pipeline, Connection connection) {
        this.warehouse = warehouse;
        this.connection = connection;
        this.deployments = new Deployments(warehouse, pipeline);
    }

    /**
     * At the control point of an applier loading definition version {@code running} of {@code deployment}: runs
     * one step of the deployment under way, if any. Returns the deployment to load with from the next batch on
     * when this step switched.
     */
    Optional<WarehouseDeployment> step(WarehouseDeployment deployment, WarehouseApplier applier) {
        long now = System.nanoTime();
        if (steps == null && now < nextCheck) {
            return Optional.empty();
        }
        try {
            if (steps == null) {
                nextCheck = now + CHECK_NANOS;
                steps = pending(deployment).orElse(null);
                if (steps == null) {
                    return Optional.empty();
                }
            }
            return next(deployment, applier);
        } catch (SQLException | RuntimeException e) {
            int version = steps != null ? steps.version() : -1;
            LOG.warn("pipeline '{}': a step of the deployment of version {} failed; trying again in {} s: {}",
                    deployment.definition().pipeline(), version, RETRY_NANOS / 1_000_000_000L, e.getMessage(), e);
            if (version > 0) {
                deployments.note(version, null, e.getMessage());
            }
            release(applier);
            nextCheck = System.nanoTime() + RETRY_NANOS;
            return Optional.empty();
        }
    }

    /** Returns what the deployment carried out here is doing ("version 2 rebuilding ..."), if one is. */
    Optional<String> doing() {
        return doing;
    }

    /** Stops the shadow writes and forgets the deployment: it is looked for again at the next check. */
    private void release(WarehouseApplier applier) {
        if (writingShadows) {
            applier.writeShadows(List.of());
            if (steps != null && !steps.newFacts().isEmpty()) {
                try {
                    applier.shadowFacts().load(steps.plan().star(), Map.of());
                } catch (SQLException e) {
                    LOG.debug("stopping the new facts' loads", e); // the next batch fails and restarts the applier
                }
            }
            writingShadows = false;
        }
        if (steps != null) {
            steps.close();
        }
        steps = null;
        switchApplied = null;
        doing = Optional.empty();
    }

    /** Returns the steps of the deployment this applier has to carry on, if one is under way. */
    private Optional<DeploymentSteps> pending(WarehouseDeployment deployment) throws SQLException {
        Optional<DeploymentStatus> status = deployments.status(connection);
        connection.commit();
        if (status.isEmpty() || !status.get().state().active()) {
            return Optional.empty();
        }
        DeploymentStatus s = status.get();
        boolean beforeSwitch = s.version() > deployment.version() && !s.state().switched();
        boolean contract = s.version() == deployment.version() && (s.state() == DeploymentState.CONTRACTING
                || s.state() == DeploymentState.SWITCHED && s.contractRequested());
        if (!beforeSwitch && !contract) {
            return Optional.empty();
        }
        String text = deployments.version(s.version()).orElseThrow().definition();
        int base = deployments.switchedBefore(s.version()).version();
        DeploymentPlan plan = DeploymentPlan.of(deployment.text().other("deployed version " + s.version(), text),
                Overrides.none(), OptionalInt.of(base));
        chunkRows = s.chunkRows();
        state = s.state();
        LOG.info("pipeline '{}': carrying out the deployment of version {} ({}) between batches",
                deployment.definition().pipeline(), s.version(), s.state().sql());
        return Optional.of(new DeploymentSteps(plan, warehouse, s.version()));
    }

    private Optional<WarehouseDeployment> next(WarehouseDeployment deployment, WarehouseApplier applier)
            throws SQLException {
        switch (state) {
            case PLANNED, EXPANDING -> {
                steps.state(DeploymentState.EXPANDING);
                steps.expand();
                steps.state(DeploymentState.REBUILDING);
                state = DeploymentState.REBUILDING;
                return Optional.empty();
            }
            case REBUILDING -> {
                return rebuild(deployment, applier);
            }
            case SWITCHED, CONTRACTING -> {
                steps.state(DeploymentState.CONTRACTING);
                steps.contract();
                steps.state(DeploymentState.DONE);
                release(applier);
                return Optional.empty();
            }
            default -> {
                release(applier);
                return Optional.empty();
            }
        }
    }

    /** One rebuild chunk, or the switch once every chunk is done. */
    private Optional<WarehouseDeployment> rebuild(WarehouseDeployment deployment, WarehouseApplier applier)
            throws SQLException {
        if (switchApplied == null) {
            switchApplied = steps.switchApplied(); // looked once: Flyway reads its history to say
        }
        if (!switchApplied) {
            if (!writingShadows) {
                // From the first chunk on, rows the stream changes get their new values as they load.
                applier.writeShadows(steps.rebuilds());
                if (!steps.newFacts().isEmpty()) {
                    applier.shadowFacts().load(steps.plan().star(), steps.newFacts());
                }
                writingShadows = true;
            }
            boolean more = steps.rebuildChunk(chunkRows, applier.shadowFacts());
            doing = Optional.of("version " + steps.version() + " " + steps.progress());
            if (System.nanoTime() >= nextNote) {
                deployments.note(steps.version(), steps.progress(), null); // for status, once a second
                nextNote = System.nanoTime() + CHECK_NANOS;
            }
            if (more) {
                return Optional.empty();
            }
        }
        steps.switchOver();
        writingShadows = false; // the applier is replaced: the next one loads the new shape itself
        steps.handWritten();
        WarehouseDeployment switched = steps.switched(deployment);
        DeploymentStatus status = deployments.status().orElseThrow();
        if (status.contractRequested() || !steps.contractDrops()) {
            steps.state(DeploymentState.CONTRACTING);
            steps.contract();
            steps.state(DeploymentState.DONE);
        }
        steps = null;
        doing = Optional.empty();
        return Optional.of(switched);
    }
}
