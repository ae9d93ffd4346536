package dev.lockstep.runtime;

import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.migrations.DeploymentState;
import dev.lockstep.migrations.DeploymentStatus;
import dev.lockstep.migrations.Deployments;
import dev.lockstep.migrations.lint.Overrides;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import dev.lockstep.warehouse.star.StarSchema;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deployment carried out by the running applier (a deploy handed to the running pipeline, or one a killed deploy or
 * run left under way), looked after at each control point between batches: the expand migration there; the new
 * indexes and then the shadow columns' rebuild chunks, one after the other on a thread of their own beside the
 * batches, while every batch also writes the shadow columns of the rows it changes and marks them (a new fact's chunks are
 * loaded at control points, and every batch loads its shadow table too); then the switch at a control point, after
 * which the applier loads with the new version; then the contract phase when it was asked for. A step that fails (a
 * lock it waited too long for, a connection lost) is recorded as the deployment's failure and retried a little
 * later; the stream goes on under the version it had.
 */
final class LiveDeployment {

    private static final Logger LOG = LoggerFactory.getLogger(LiveDeployment.class);

    /** How often the control point looks for a deployment to carry out, when none is under way here. */
    private static final long CHECK_NANOS = Duration.ofSeconds(1).toNanos();
    /** How long a failed step waits before it is tried again. */
    private static final long RETRY_NANOS = Duration.ofSeconds(5).toNanos();
    private static final int FIRST_CHUNK_ROWS = 1_000;
    /** Plans a deployment found at a control point, and builds its indexes, off the applying thread. */
    private static final Executor BACKGROUND = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "lockstep-deployment-background");
        thread.setDaemon(true);
        return thread;
    });
    private final DataSource warehouse;
    private final Deployments deployments;
    /** The applier's connection, which looks for a deployment once a second (between transactions). */
    private final Connection connection;
    private final AlertingOpener alerting;
    private long nextCheck;
    private DeploymentSteps steps;
    /** Source rows per rebuild chunk at most, as recorded. */
    private int chunkRows;
    /** Source rows of the next chunk (sized by {@link ShadowColumnChunks#nextRows}). */
    private int chunkSize;
    /** When the next chunk of a new fact may run (the stream had its turn). */
    private long nextChunk;
    /**
     * The switched deployment whose after-switch steps ran here with its contract not due yet: looked at again only
     * once it is (a switched deployment found at start-up gets its hand-written migrations run once).
     */
    private int settled;
    /** The planning of a deployment found under way, while it runs. */
    private CompletableFuture<DeploymentSteps> planning;
    /** The shadow columns' chunks, running one after the other beside the batches, and their end (null: none run). */
    private ShadowColumnChunks chunks;
    private CompletableFuture<Void> columnChunks;
    /** The switch made ready off the applying thread, once begun (null: not yet). */
    private SwitchHold switchHold;
    /** The rebuild's progress, as the last chunk left it. */
    private String progress = "";
    /** The build of the deployment's new indexes, concurrently with the stream, once begun (null: not yet). */
    private CompletableFuture<Void> indexes;
    private boolean writingShadows;
    /** Drops the retired tables older than {@code warehouse.keep_retired}, hourly, off the applying thread. */
    private final RetiredTables retired = new RetiredTables();
    /** Whether every batch also loads the deployment's new dimensions and facts. */
    private boolean loadingTargets;
    /** The position the applier had applied when it began writing the shadow columns (null: it has not). */
    private StreamPosition shadowsSince;
    /** The state of the deployment carried out here, as this applier moved it (read once when it starts). */
    private DeploymentState state;
    /** Whether the switch migration was found applied when the rebuild (re)started here; null until looked. */
    private Boolean switchApplied;
    private long nextNote;
    /** What the deployment under way here is doing, for the run's display; empty when none is. */
    private volatile Optional<String> doing = Optional.empty();

    /** Opens the alerting of a definition version (its aggregate rules, sinks and outbox). */
    @FunctionalInterface
    interface AlertingOpener {
        Alerting open(PipelineDefinition definition, StarSchema star) throws SQLException;
    }

    LiveDeployment(DataSource warehouse, String pipeline, Connection connection, AlertingOpener alerting) {
        this.warehouse = warehouse;
        this.connection = connection;
        this.deployments = new Deployments(warehouse, pipeline);
        this.alerting = alerting;
    }

    /**
     * Returns the alerting of the version switched to, opened off the applying thread before the switch (~200 ms of
     * connections and topic checks the switch's control point then does not wait for), if it was; the caller owns it.
     */
    Optional<Alerting> takeAlerting() {
        return switchHold == null ? Optional.empty() : switchHold.takeAlerting();
    }

    /**
     * At the control point of an applier loading definition version {@code running} of {@code deployment}: runs
     * one step of the deployment under way, if any. Returns the deployment to load with from the next batch on
     * when this step switched.
     */
    Optional<WarehouseDeployment> step(WarehouseDeployment deployment, WarehouseApplier applier) {
        retired.sweepIfDue(warehouse, deployment.definition(), BACKGROUND);
        long now = System.nanoTime();
        if (steps == null && (planning == null ? now < nextCheck : !planning.isDone())) {
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

    /**
     * Tells how far behind the stream the applier is: how long ago the first record of its last poll reached the
     * topic, now that it is applied (the rebuild chunks pause while that is long).
     */
    void streamLag(long millis) {
        ShadowColumnChunks running = chunks;
        if (running != null) {
            running.lagged(millis);
        }
    }

    /** Returns what the deployment carried out here is doing ("version 2 rebuilding ..."), if one is. */
    Optional<String> doing() {
        return doing;
    }

    /**
     * Lets go of what a deployment under way here holds (its chunks, the switch's locks, its connections, the next
     * version's alerting): the apply stage closes, and its applier with it.
     */
    void close() {
        writingShadows = false; // nothing to stop: the applier goes with the stage
        loadingTargets = false;
        release(null);
    }

    /** Stops the shadow writes and forgets the deployment: it is looked for again at the next check. */
    private void release(WarehouseApplier applier) {
        if (columnChunks != null) {
            chunks.stop();
            try {
                columnChunks.join(); // the chunks use the steps' connection: the one under way ends before it closes
            } catch (RuntimeException e) {
                LOG.debug("the rebuild chunk under way failed too", e);
            }
            columnChunks = null;
            chunks = null;
        }
        if (switchHold != null) {
            switchHold.close(); // the steps' close lets go of what it holds: it ends first
            switchHold = null;
        }
        if (writingShadows || loadingTargets) {
            applier.writeShadows(List.of(), Map.of());
            writingShadows = false;
            shadowsSince = null;
        }
        if (loadingTargets) {
            if (steps != null && !steps.newTargets().isEmpty()) {
                try {
                    applier.shadowTargets().load(steps.plan().star(), Map.of());
                } catch (SQLException e) {
                    LOG.debug("stopping the new targets' loads", e); // the next batch fails and restarts the applier
                }
            }
            loadingTargets = false;
        }
        if (steps != null) {
            steps.close();
        }
        steps = null;
        progress = "";
        if (planning != null) {
            planning.thenAccept(DeploymentSteps::close); // planned after all: let go of what it holds (the expand's)
        }
        planning = null;
        indexes = null;
        switchApplied = null;
        doing = Optional.empty();
    }

    /**
     * Returns the steps of the deployment this applier has to carry on, once planned. Planning it (reading the
     * source's catalog, typing both definitions) takes seconds: it runs on a thread of its own while the stream goes
     * on, and a later control point takes its result.
     */
    private Optional<DeploymentSteps> pending(WarehouseDeployment deployment) throws SQLException {
        if (planning != null) {
            if (!planning.isDone()) {
                return Optional.empty();
            }
            CompletableFuture<DeploymentSteps> planned = planning;
            planning = null;
            try {
                DeploymentSteps found = planned.join();
                Optional<DeploymentStatus> now = deployments.status(connection);
                connection.commit();
                if (now.isEmpty() || now.get().version() != found.version() || now.get().state() != state) {
                    found.close(); // cancelled, or moved on by someone else, while it was planned
                    return Optional.empty();
                }
                LOG.info("pipeline '{}': carrying out the deployment of version {} ({}) between batches",
                        deployment.definition().pipeline(), found.version(), state.sql());
                return Optional.of(found);
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
        Optional<DeploymentStatus> status = deployments.status(connection);
        connection.commit();
        if (status.isEmpty() || !status.get().state().active()) {
            return Optional.empty();
        }
        DeploymentStatus s = status.get();
        boolean beforeSwitch = s.version() > deployment.version() && !s.state().switched();
        boolean contract = s.version() == deployment.version() && (s.state() == DeploymentState.CONTRACTING
                || s.state() == DeploymentState.SWITCHED && (s.contractRequested() || s.version() != settled));
        if (!beforeSwitch && !contract) {
            return Optional.empty();
        }
        String text = deployments.version(s.version()).orElseThrow().definition();
        int base = deployments.switchedBefore(s.version()).version();
        chunkRows = s.chunkRows();
        chunkSize = Math.min(chunkRows, FIRST_CHUNK_ROWS);
        state = s.state();
        DefinitionText next = deployment.text().other("deployed version " + s.version(), text);
        planning = CompletableFuture.supplyAsync(() -> {
            DeploymentSteps planned = new DeploymentSteps(DeploymentPlan.of(next, Overrides.none(),
                    OptionalInt.of(base)), warehouse, s.version());
            planned.prepare("expand");
            planned.prepare("switch"); // when the expand was applied already (the deployment resumed here)
            try {
                planned.hold("expand"); // its ACCESS EXCLUSIVE locks then wait for no autovacuum at the control point
            } catch (SQLException e) {
                planned.close();
                throw new CompletionException(e);
            }
            return planned;
        }, BACKGROUND);
        return Optional.empty();
    }

    private Optional<WarehouseDeployment> next(WarehouseDeployment deployment, WarehouseApplier applier)
            throws SQLException {
        switch (state) {
            case PLANNED, EXPANDING -> {
                steps.state(DeploymentState.EXPANDING);
                steps.expand();
                steps.state(DeploymentState.REBUILDING);
                state = DeploymentState.REBUILDING;
                switchApplied = false; // expanded here just now: no need to have Flyway read its history to know
                return Optional.empty();
            }
            case REBUILDING -> {
                return rebuild(deployment, applier);
            }
            case SWITCHED -> {
                // After the switch (here just now, or found switched): the hand-written migrations, then the
                // contract when it is due.
                steps.handWritten();
                Optional<DeploymentStatus> now = deployments.status(connection);
                connection.commit();
                int version = steps.version();
                if (now.filter(s -> s.version() == version).map(DeploymentStatus::contractRequested).orElse(false)
                        || !steps.contractDrops()) {
                    steps.state(DeploymentState.CONTRACTING);
                    steps.contract();
                    steps.state(DeploymentState.DONE);
                }
                settled = version;
                release(applier);
                return Optional.empty();
            }
            case CONTRACTING -> {
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
            if (indexes == null) {
                // CREATE INDEX CONCURRENTLY: batches go on while it builds (a build waits for their transactions).
                DeploymentSteps building = steps;
                indexes = CompletableFuture.runAsync(() -> {
                    try {
                        building.buildIndexes();
                        building.prepare("switch");
                    } catch (SQLException e) {
                        throw new IllegalStateException("cannot build the deployment's indexes: " + e.getMessage(), e);
                    }
                }, BACKGROUND);
            }
            if (!indexes.isDone()) {
                return Optional.empty();
            }
            joined(indexes);
            if (!loadingTargets) {
                // A change of a column only the next version looks up counts as a lookup change from now on: the
                // new targets' rows joined to it are loaded again.
                applier.writeShadows(List.of(), steps.plan().star().lookedUpColumns());
                if (!steps.newTargets().isEmpty()) {
                    applier.shadowTargets().load(steps.plan().star(), steps.newTargets());
                }
                loadingTargets = true;
            }
            if (!writingShadows && (steps.columnNext() || steps.rebuilt())) {
                // From the first column chunk on — after the new targets are loaded (the plan lists them first): a
                // new or changed reference then finds a new dimension's members — rows the stream changes get their
                // new values as they load (and are marked); marks a process before this one left are taken off
                // first, at the same control point.
                steps.clearMarks();
                applier.writeShadows(steps.rebuilds(), steps.plan().star().lookedUpColumns());
                shadowsSince = applier.applied();
                writingShadows = true;
            }
            if (columnChunks != null) {
                // The shadow columns' chunks run one after the other beside the batches, on their own connection.
                progress = chunks.progress();
                if (!columnChunks.isDone()) {
                    noteProgress();
                    return Optional.empty();
                }
                CompletableFuture<Void> done = columnChunks;
                columnChunks = null;
                chunkSize = chunks.size();
                chunks = null;
                joined(done);
            }
            if (steps.columnNext()) {
                chunks = new ShadowColumnChunks(steps, chunkSize, chunkRows);
                columnChunks = chunks.start(BACKGROUND);
                return Optional.empty();
            }
            if (!steps.rebuilt()) {
                // A new fact's chunk is loaded by the applier itself, between its batches: after one, which stalled
                // a batch, the stream has at least as long as the chunk took before the next one.
                long now = System.nanoTime();
                if (now < nextChunk) {
                    return Optional.empty();
                }
                boolean more = steps.rebuildChunk(chunkSize, applier.shadowTargets());
                long took = Math.max(1, System.nanoTime() - now);
                chunkSize = ShadowColumnChunks.nextRows(chunkSize, took, chunkRows);
                nextChunk = System.nanoTime() + took;
                progress = steps.progress();
                noteProgress();
                if (more) {
                    return Optional.empty();
                }
            }
            if (switchHold == null) {
                // Off the applying thread: the tables the switch alters held against autovacuum, its alerting opened.
                switchHold = SwitchHold.begin(steps, alerting, BACKGROUND);
            }
            if (!switchHold.isDone()) {
                return Optional.empty();
            }
            switchHold.join();
            // The same control point as the switch: no batch comes between.
            steps.lookupChanges(shadowsSince);
        }
        steps.switchOver();
        writingShadows = false; // the applier is replaced: the next one loads the new shape itself
        loadingTargets = false;
        state = DeploymentState.SWITCHED;
        doing = Optional.of("version " + steps.version() + " switched");
        // Handed over at once: the stream must not load another batch under the version before. The hand-written
        // migrations and the contract follow at the next control point (a failure there is retried).
        return Optional.of(steps.switched(deployment));
    }

    /**
     * Shows the rebuild's progress in the run's display, and for {@code status} once a second (on the applier's
     * connection, between its batches: not a connection opened each time).
     */
    private void noteProgress() throws SQLException {
        if (progress.isEmpty()) {
            return;
        }
        doing = Optional.of("version " + steps.version() + " " + progress);
        if (System.nanoTime() >= nextNote) {
            deployments.note(connection, steps.version(), progress, null);
            connection.commit();
            nextNote = System.nanoTime() + CHECK_NANOS;
        }
    }

    /** Waits for {@code future}; its failure is thrown as it was raised (a runtime exception), or wrapped. */
    static <T> T joined(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }
}
