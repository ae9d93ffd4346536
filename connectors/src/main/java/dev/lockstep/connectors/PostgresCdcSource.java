package dev.lockstep.connectors;

import static java.util.Objects.requireNonNull;

import dev.lockstep.connectors.internal.ChangeEncoder;
import dev.lockstep.connectors.internal.CatalogGuard;
import dev.lockstep.connectors.internal.DebeziumConfig;
import dev.lockstep.connectors.internal.ExtractConsumer;
import dev.lockstep.connectors.internal.LockstepOffsetBackingStore;
import dev.lockstep.connectors.internal.OffsetsTopic;
import dev.lockstep.connectors.internal.SourceDatabase;
import dev.lockstep.connectors.internal.StreamTransactions;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.kafka.Topics;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.core.stream.TopicNames;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extract stage: streams every change of a pipeline's source tables, through Debezium Embedded (pgoutput),
 * into the pipeline's changes topic as Avro envelopes, whole source transactions per Kafka transaction, in
 * commit order, with the source offsets in the same transaction.
 *
 * <p>Start with {@link #start()}; {@link #completion()} completes when the stage stops, exceptionally when it
 * failed. Thread-safe.
 */
public final class PostgresCdcSource implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresCdcSource.class);

    private final ExtractSettings settings;
    private final ExtractMetrics metrics;
    private final SourceDatabase source;
    private final CompletableFuture<Void> completion = new CompletableFuture<>();
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private ExecutorService engineThread;
    private ScheduledExecutorService walPoller;
    private volatile SourceUnreachable unreachable;
    private StreamTransactions kafka;
    private ExtractConsumer consumer;
    private KafkaSchemaStore schemas;

    public PostgresCdcSource(ExtractSettings settings) {
        this(settings, new ExtractMetrics(settings.pipeline()));
    }

    /** An extract counting into {@code metrics}: a restarted extract goes on with the counts of the one before. */
    public PostgresCdcSource(ExtractSettings settings, ExtractMetrics metrics) {
        this.settings = requireNonNull(settings, "settings");
        this.metrics = requireNonNull(metrics, "metrics");
        this.source = new SourceDatabase(settings);
    }

    /** Returns the stage's metrics; bind them to a registry to publish them. */
    public ExtractMetrics metrics() {
        return metrics;
    }

    /**
     * Prepares the source (helper tables), Kafka (topics, schema store, transactions), checks that no source
     * table changed its columns while rows written before the change still wait in the slot, then starts
     * streaming. Fails with a {@link LockstepException} saying what to do when it cannot start.
     */
    public synchronized PostgresCdcSource start() {
        if (engine != null) {
            return this;
        }
        source.ensureHelperTables();
        ensureTopics();
        String engineName = DebeziumConfig.engineName(settings);
        OffsetsTopic offsets = new OffsetsTopic(TopicNames.extractOffsets(settings.pipeline()), engineName);
        try {
            // Fence any earlier extract of this pipeline first; a walsender still holding the slot then belongs
            // to one that died, and would keep the slot (and block the guard's peek) until wal_sender_timeout.
            kafka = new StreamTransactions(settings.pipeline(), settings.bootstrapServers(),
                    settings.maxMessageBytes(), offsets);
            source.releaseSlot().ifPresent(pid -> LOG.warn("Ended server process {} that still held replication "
                    + "slot {} for a previous extract of pipeline {}", pid, settings.slotName(), settings.pipeline()));
            CatalogGuard guard = new CatalogGuard(settings, source);
            guard.check();
            requestSnapshots(guard.added());
            schemas = KafkaSchemaStore.open(settings.bootstrapServers());
            ChangeEncoder encoder = new ChangeEncoder(settings.pipeline(), settings.fanout(), schemas,
                    settings.maxMessageBytes());
            consumer = new ExtractConsumer(DebeziumConfig.topicPrefix(settings), encoder, kafka, metrics,
                    source::catalogFingerprints, settings.maxBatchSize());
            // The Connect format is the fastest here (about 2x JSON); 3.x's only builder is the async engine.
            engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                    .using(DebeziumConfig.properties(settings, source.heartbeatQuery(), offsets.topic()))
                    .notifying(consumer)
                    .using((success, message, error) -> finished(success, message, error))
                    .build();
        } catch (RuntimeException e) {
            release();
            throw e;
        }
        engineThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "lockstep-extract-" + settings.pipeline()));
        engineThread.execute(engine);
        walPoller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lockstep-extract-wal-" + settings.pipeline());
            t.setDaemon(true);
            return t;
        });
        walPoller.scheduleWithFixedDelay(this::pollWalRetained, 0, 2, TimeUnit.SECONDS);
        LOG.info("Extract of pipeline {} started: {}", settings.pipeline(), settings);
        return this;
    }

    /**
     * Asks for an incremental snapshot of each table no earlier extract streamed (a deployment added it), unless the
     * definition says never to snapshot: its rows already in the source then travel the stream like any change. The
     * signal goes in before the engine starts, so it is in the slot's stream ahead of anything the engine commits;
     * a start that fails before its first commit asks again next time (a table read twice is read correctly).
     */
    private void requestSnapshots(List<TableId> added) {
        for (TableId table : added) {
            if (settings.snapshot() == ExtractSettings.SnapshotMode.NEVER) {
                LOG.info("Extract of pipeline {}: {} is new to the pipeline; its existing rows are not read (snapshot: "
                        + "never)", settings.pipeline(), table);
            } else { // the signal table exists: start made the helper tables first
                LOG.info("Extract of pipeline {}: {} is new to the pipeline; its existing rows are read by an "
                        + "incremental snapshot (signal {})", settings.pipeline(), table, source.requestSnapshot(table));
            }
        }
    }

    /** Completes when the stage stopped: normally after {@link #stop()}, exceptionally when it failed. */
    public CompletableFuture<Void> completion() {
        return completion;
    }

    /** Stops streaming; what was committed to Kafka stays, the rest is re-read on the next start. */
    public synchronized void stop() {
        if (engine == null) {
            return;
        }
        try {
            engine.close();
        } catch (IOException | RuntimeException e) {
            // The async engine refuses to close while its tasks start or after it stopped by itself.
            LOG.warn("Debezium did not stop cleanly: {}", e.toString());
        }
        engineThread.shutdown();
        try {
            if (!engineThread.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("Debezium engine thread still running after 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            release();
            engine = null;
            completion.complete(null);
        }
    }

    /** Closes what the stage holds; idempotent. */
    private synchronized void release() {
        if (walPoller != null) {
            walPoller.shutdownNow();
            walPoller = null;
        }
        if (consumer != null) {
            consumer.close(); // commits what Debezium handed over, before the producer closes
            consumer = null;
        }
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
        if (schemas != null) {
            schemas.close();
            schemas = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * Where the source and the extract stand: the source's WAL position now, and the position the pipeline's slot
     * confirmed (everything committed before it is on the changes topic); {@code confirmedLsn} is -1 without a slot.
     */
    public record SourcePosition(long currentLsn, long confirmedLsn, boolean slotActive) {
        /** Returns how many bytes of WAL the extract has still to read. */
        public long lagBytes() {
            return confirmedLsn < 0 ? -1 : Math.max(0, currentLsn - confirmedLsn);
        }
    }

    /** Returns where the source and the extract of {@code settings} stand now. */
    public static SourcePosition position(ExtractSettings settings) {
        long[] positions = new SourceDatabase(settings).walPositions();
        return new SourcePosition(positions[0], positions[1], positions[2] == 1);
    }

    /** The source schema of the extract's helper tables (heartbeat, signals); their rows are not source changes. */
    public static final String HELPER_SCHEMA = SourceDatabase.SCHEMA;

    /**
     * Returns the Debezium engine properties the extract of {@code settings} runs with, but with offsets kept in
     * memory instead of the offsets topic: Debezium alone, configured as the extract configures it (the benchmarks
     * compare the two). Creates the source's helper tables, which the heartbeat writes.
     */
    public static Properties debeziumProperties(ExtractSettings settings) {
        SourceDatabase source = new SourceDatabase(settings);
        source.ensureHelperTables();
        Properties properties = DebeziumConfig.properties(settings, source.heartbeatQuery(), "unused");
        properties.remove(LockstepOffsetBackingStore.TOPIC);
        properties.remove(LockstepOffsetBackingStore.BOOTSTRAP);
        properties.setProperty("offset.storage", MemoryOffsetBackingStore.class.getName());
        return properties;
    }

    /**
     * Writes the extract's heartbeat row once, so a running extract confirms its slot past the source's current
     * position even when the source tables are quiet (no-op in effect when the helper tables do not exist yet).
     */
    public static void beat(ExtractSettings settings) {
        SourceDatabase source = new SourceDatabase(settings);
        source.ensureHelperTables();
        source.beat();
    }

    /** Drops the pipeline's replication slot and publication (undeploy); the Kafka topics are kept. */
    public static void dropSlot(ExtractSettings settings) {
        new SourceDatabase(settings).dropSlotAndPublication();
    }

    /**
     * Accepts the current columns of {@code table} and asks for an incremental snapshot of it, which the extract
     * runs the next time it streams: the way out after the table changed while the extract was stopped.
     */
    public static String resnapshot(ExtractSettings settings, TableId table) {
        if (!settings.tables().contains(table)) {
            throw new LockstepException(ErrorCode.INVALID_INPUT,
                    table + " is not a source table of pipeline " + settings.pipeline() + "; tables: " + settings.tables());
        }
        SourceDatabase source = new SourceDatabase(settings);
        if (source.slotActive()) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "the extract of pipeline " + settings.pipeline()
                    + " is running (slot " + settings.slotName() + " is active); stop it before 'resnapshot'");
        }
        source.ensureHelperTables();
        OffsetsTopic offsets = new OffsetsTopic(TopicNames.extractOffsets(settings.pipeline()),
                DebeziumConfig.engineName(settings));
        try (StreamTransactions kafka = new StreamTransactions(settings.pipeline(), settings.bootstrapServers(),
                settings.maxMessageBytes(), offsets)) {
            kafka.writeCatalog(CatalogGuard.accept(settings, source, table));
        }
        return source.requestSnapshot(table);
    }

    private void finished(boolean success, String message, Throwable error) {
        if (success || error == null) {
            LOG.info("Extract of pipeline {} stopped: {}", settings.pipeline(), message);
            completion.complete(null);
        } else {
            Throwable cause = error;
            while (cause.getCause() != null && !(cause instanceof LockstepException)) {
                cause = cause.getCause();
            }
            LOG.error("Extract of pipeline {} failed: {}", settings.pipeline(), message, error);
            if (walPoller != null) {
                walPoller.shutdownNow();
            }
            completion.completeExceptionally(cause instanceof LockstepException ? cause
                    : new LockstepException(ErrorCode.UNAVAILABLE, "extract of pipeline " + settings.pipeline()
                            + " failed: " + message, error));
        }
    }

    /** Since when, and with what error, the source database has refused the extract's probe. */
    public record SourceUnreachable(java.time.Instant since, String cause) {}

    /**
     * Returns the source outage seen by the extract's probe (every 2 s), or null while the source answers. Debezium
     * retries its own connection without limit meanwhile; the caller decides how long to wait.
     */
    public SourceUnreachable sourceUnreachable() {
        return unreachable;
    }

    private void pollWalRetained() {
        try {
            source.walRetainedBytes().ifPresent(metrics::walRetained);
            unreachable = null;
        } catch (RuntimeException e) {
            LOG.debug("Cannot read WAL retained by slot {}: {}", settings.slotName(), e.toString());
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            SourceUnreachable before = unreachable;
            unreachable = new SourceUnreachable(before == null ? java.time.Instant.now() : before.since(),
                    String.valueOf(cause.getMessage()));
        }
    }

    private void ensureTopics() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                settings.bootstrapServers()))) {
            Topics.ensure(admin, TopicNames.changes(settings.pipeline()), 1, Map.of(
                    "retention.ms", Long.toString(settings.changesRetention().toMillis()),
                    "max.message.bytes", Integer.toString(settings.maxMessageBytes()),
                    "cleanup.policy", "delete"));
            Topics.ensure(admin, TopicNames.extractOffsets(settings.pipeline()), 1, Map.of(
                    "cleanup.policy", "compact"));
            if (settings.fanout()) {
                for (TableId table : settings.tables()) {
                    Topics.ensure(admin, TopicNames.raw(settings.pipeline(), table), 1, Map.of(
                            "max.message.bytes", Integer.toString(settings.maxMessageBytes())));
                }
            }
        }
        KafkaSchemaStore.ensureTopic(settings.bootstrapServers());
    }

    /** Returns the WAL the slot retains now, in bytes, or -1 when there is no slot. */
    public long walRetainedNow() {
        return source.walRetainedBytes().orElse(-1);
    }
}
