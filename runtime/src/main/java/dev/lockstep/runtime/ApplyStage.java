package dev.lockstep.runtime;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.quality.QualityMetrics;
import dev.lockstep.warehouse.apply.ReplayOutcome;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import dev.lockstep.warehouse.star.TargetCounts;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apply stage of one deployed pipeline, one step at a time: a batch of whole source transactions applied to the
 * warehouse, then the control work that is due at the control point (no batch open): the quarantine replay requests
 * waiting (once a second) and, while the stream is quiet, the references rules. The alerting work runs beside it
 * on its own thread ({@link Alerting}). Run by {@link PipelineRun}: alone for {@code lockstep apply}, beside the
 * extract.
 */
public final class ApplyStage implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApplyStage.class);

    private static final long REPLAY_CHECK_NANOS = 1_000_000_000L;
    /** The switch's replay waits for the stream to catch up from the switch (a lag at most this), ... */
    private static final long CAUGHT_UP_MILLIS = ShadowColumnChunks.BEHIND_MILLIS;
    /** ... this long at most. */
    private static final long REPLAY_OWED_NANOS = 10_000_000_000L;
    /** How often the references rules run while no batch runs them. */
    private static final Duration REFERENCES_EVERY = Duration.ofMillis(500);

    private final Connection connection;
    private final KafkaSchemaStore store;
    /** The aggregate rules and alert relays of the version loaded now; replaced when a deployment switches. */
    private Alerting alerting;
    private final String bootstrapServers;
    private final ChangeStreamReader reader;
    private final EnvelopeCodec codec;
    private final QualityMetrics metrics;
    private final LiveDeployment live;
    private final ReconcileBarriers barriers;
    /** The applier of the version loaded now; replaced when a deployment switches. */
    private WarehouseApplier applier;
    private volatile WarehouseDeployment deployment;
    private long lastReplayCheck;
    /** Whether a switch asked for a replay that is not served yet, and since when. */
    private boolean replayOwed;
    private long owedSince;

    private ApplyStage(Connection connection, KafkaSchemaStore store, Alerting alerting, WarehouseApplier applier,
            ChangeStreamReader reader, QualityMetrics metrics, WarehouseDeployment deployment,
            String bootstrapServers) {
        this.connection = connection;
        this.bootstrapServers = bootstrapServers;
        this.store = store;
        this.alerting = alerting;
        this.applier = applier;
        this.reader = reader;
        this.codec = new EnvelopeCodec(store);
        this.metrics = metrics;
        this.deployment = deployment;
        DataSource warehouse = WarehouseDeployment.dataSource(deployment.definition().warehouse().postgres());
        this.live = new LiveDeployment(warehouse, deployment.definition().pipeline(), connection,
                (definition, star) -> Alerting.open(definition, star, bootstrapServers));
        this.barriers = new ReconcileBarriers(connection, warehouse, deployment.definition().pipeline());
    }

    /** Opens the stage of {@code deployment}, reading the changes topic at {@code bootstrapServers}. */
    public static ApplyStage open(WarehouseDeployment deployment, String bootstrapServers) {
        PipelineDefinition definition = deployment.definition();
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            Connection connection = PostgresConnections.open(definition.warehouse().postgres(), "lockstep apply "
                    + definition.pipeline());
            opened.add(connection);
            KafkaSchemaStore store = KafkaSchemaStore.open(bootstrapServers);
            opened.add(store);
            Alerting alerting = Alerting.open(definition, deployment.star(), bootstrapServers);
            opened.add(alerting);
            QualityMetrics metrics = new QualityMetrics(definition.pipeline());
            WarehouseApplier applier = applier(connection, deployment, alerting, metrics);
            ChangeStreamReader reader = ChangeStreamReader.open(bootstrapServers, definition.pipeline(),
                    applier.nextOffset(), applier.applied(), store);
            alerting.metrics(metrics);
            alerting.start();
            return new ApplyStage(connection, store, alerting, applier, reader, metrics, deployment,
                    bootstrapServers);
        } catch (SQLException e) {
            closeAll(opened);
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot connect to the warehouse of pipeline "
                    + definition.pipeline() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    /** Opens the applier of {@code deployment}'s version on {@code connection}. */
    private static WarehouseApplier applier(Connection connection, WarehouseDeployment deployment, Alerting alerting,
            QualityMetrics metrics) throws SQLException {
        PipelineDefinition definition = deployment.definition();
        WarehouseApplier applier = WarehouseApplier.open(connection, definition.pipeline(),
                definition.warehouse().schema(), deployment.tables(), deployment.version(),
                definition.load().batchSize(), Optional.of(deployment.star()))
                .maxBatchLatency(definition.load().maxBatchLatency());
        // An aggregate rule's fail outcome, found by the alerting worker, stops the next batch from committing.
        applier.beforeCommit(() -> alerting.failure().ifPresent(failure -> {
            throw failure;
        }));
        applier.metrics(metrics);
        return applier;
    }

    /**
     * Loads with {@code next} from the next batch on, at the control point after its deployment switched: the
     * work tables of the version before go, the applier of the new version prepares its statements, its alerting
     * (aggregate rules, relays) replaces the old one (the reader and its position stay).
     */
    private void switchTo(WarehouseDeployment next) {
        long started = System.nanoTime();
        // The aggregate rules of the new version (a new target's, a changed rule) run from now on.
        Alerting opened = live.takeAlerting().orElse(null);
        if (alerting.failure().isPresent()) {
            if (opened != null) {
                opened.close();
            }
            // An aggregate rule's fail outcome found under the version before stops the stage first.
            throw alerting.failure().get();
        }
        if (opened == null) {
            try {
                opened = Alerting.open(next.definition(), next.star(), bootstrapServers);
            } catch (SQLException e) {
                throw cannotSwitch(next, e);
            }
        }
        long alertingOpened = System.nanoTime();
        try (Statement s = connection.createStatement()) {
            s.execute("DISCARD TEMP");
            connection.commit();
            applier = applier(connection, next, opened, metrics);
            deployment = next;
        } catch (SQLException | RuntimeException e) {
            opened.close();
            throw e instanceof SQLException sql ? cannotSwitch(next, sql) : (RuntimeException) e;
        }
        opened.metrics(metrics);
        opened.continueFrom(alerting).start();
        Alerting replaced = alerting;
        alerting = opened;
        // The version before's alerting delivers what its last batches left pending, off the applying thread.
        Thread closing = new Thread(replaced::close, "lockstep-alerting-close");
        closing.setDaemon(true);
        closing.start();
        LOG.info("pipeline '{}': loading with definition version {} from the next batch on (alerting opened in {} ms, "
                + "applier prepared in {} ms)", next.definition().pipeline(), next.version(),
                (alertingOpened - started) / 1_000_000, (System.nanoTime() - alertingOpened) / 1_000_000);
    }

    private static LockstepException cannotSwitch(WarehouseDeployment next, SQLException e) {
        return new LockstepException(ErrorCode.UNAVAILABLE, "pipeline " + next.definition().pipeline() + ": cannot "
                + "load with definition version " + next.version() + " after its switch (restarting the apply stage "
                + "does): " + e.getMessage(), e);
    }

    /** Returns what a deployment carried out by this stage is doing (rebuild progress), if one is under way here. */
    public Optional<String> deploying() {
        return live.doing();
    }

    /** Returns the deployment the stage loads with now (a later version once a deployment switched). */
    public WarehouseDeployment deployment() {
        return deployment;
    }

    /**
     * Applies what the changes topic has ready (waiting at most {@code poll} for it) as one batch and, at the control
     * point after it, serves waiting quarantine replay requests (at most once a second, reporting each to
     * {@code served}), carries a deployment under way one step further ({@link LiveDeployment}) and runs the
     * references rules when no batch did for half a second.
     * A pipeline stopped on purpose (a {@code fail} rule) raises its {@code pipeline.failed} event first.
     */
    public void step(Duration poll, Consumer<ReplayOutcome> served) {
        try {
            alerting.failure().ifPresent(failure -> {
                throw failure;
            });
            int read = applier.applyOnce(reader, poll);
            if (!applier.atControlPoint()) {
                return;
            }
            long lag = read > 0 ? System.currentTimeMillis() - reader.firstTimestamp() : 0; // idle: no lag
            live.streamLag(lag);
            Optional<WarehouseDeployment> switched = live.step(deployment, applier);
            switched.ifPresent(this::switchTo);
            long now = System.nanoTime();
            if (switched.isPresent()) {
                // The replay the switch asked for waits until the stream has caught up from the switch's control
                // point (10 s at most). A reconcile at a position after the switch must not see the rows it
                // replays: it is served first when the stream stops at a reconcile's barrier.
                replayOwed = true;
                owedSince = now;
                lastReplayCheck = now;
            }
            boolean due = now - lastReplayCheck > REPLAY_CHECK_NANOS && (!replayOwed || lag <= CAUGHT_UP_MILLIS
                    || now - owedSince > REPLAY_OWED_NANOS);
            if (replayOwed && applier.barrier().reached() || due) {
                lastReplayCheck = now;
                List<ReplayOutcome> outcomes = applier.serveReplays(codec);
                outcomes.forEach(served);
                if (replayOwed && !outcomes.isEmpty()) {
                    LOG.info("pipeline '{}': served {} quarantine replay request(s), the switch's among them, in {} "
                            + "ms", deployment.definition().pipeline(), outcomes.size(),
                            (System.nanoTime() - now) / 1_000_000);
                }
                replayOwed = false;
            }
            barriers.step(applier);
            applier.checkReferences(REFERENCES_EVERY);
        } catch (LockstepException e) {
            if (e.code() == ErrorCode.PIPELINE_STOPPED) {
                alerting.pipelineFailed(e);
            }
            throw e;
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "pipeline " + deployment.definition().pipeline()
                    + ": serving a reconcile failed: " + e.getMessage(), e);
        }
    }

    /** Returns the source position the warehouse reflects. */
    public StreamPosition applied() {
        return applier.applied();
    }

    /** Returns true at a control point: no batch is open (everything read so far is applied and committed). */
    public boolean atControlPoint() {
        return applier.atControlPoint();
    }

    /** Returns the offset of the changes topic the stage reads next. */
    public long nextOffset() {
        return applier.nextOffset();
    }

    /** Returns the end of the changes topic now: the stage is caught up when {@link #nextOffset()} reaches it. */
    public long topicEnd() {
        return reader.endOffset();
    }

    /** Returns the source commit time of the newest change applied, in microseconds since the epoch (0: none). */
    public long lastCommitMicros() {
        return applier.lastCommitMicros();
    }

    /** Returns true once this stage has committed the last row of an initial snapshot. */
    public boolean snapshotCompleted() {
        return applier.snapshotCompleted();
    }

    /** Returns true while the stream is inside the initial snapshot. */
    public boolean snapshotting() {
        return applier.snapshotting();
    }

    /** Returns, per target, the rows loaded and quarantined by the batches this stage committed. */
    public Map<String, TargetCounts> targetCounts() {
        return applier.targetCounts();
    }

    @Override
    public void close() {
        try {
            live.close();
        } catch (RuntimeException e) {
            LOG.debug("letting go of the deployment under way failed", e); // closing after a failure or at the end
        }
        closeAll(List.of(reader, alerting, store, barriers, connection));
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                // closing after a failure or at the end; the first problem is what the caller reports
            }
        }
    }
}
