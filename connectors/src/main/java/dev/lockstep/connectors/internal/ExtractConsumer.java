package dev.lockstep.connectors.internal;

import dev.lockstep.connectors.ExtractMetrics;
import dev.lockstep.core.FailPoint;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debezium's consumer in the extract: reassembles whole source transactions from Debezium's transaction
 * metadata and writes them, with the offsets that cover them, in one Kafka transaction.
 *
 * <p>A source transaction's commit LSN (the first half of every position) is known only at its END marker, so
 * its changes are encoded as they arrive, all but their position, and held in that compact form until then.
 * Debezium is told a record is processed — which lets it confirm the LSN to the slot — only after the Kafka
 * transaction that carries it committed ({@link SlotConfirmation}).
 *
 * <p>Runs on Debezium's single processing thread; Kafka transactions commit on a thread of their own ({@link
 * CommitPipeline}). After a full batch — Debezium has more queued — Debezium's thread reads on while Kafka commits,
 * and the slot is confirmed at the next batch; after a partial batch it waits for the commit and confirms at once.
 */
public final class ExtractConsumer implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>>,
        AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExtractConsumer.class);
    /** Sequence numbers of changes outside any source transaction start here, after every in-transaction one. */
    static final long STANDALONE_SEQUENCE = 1L << 62;
    /** Debezium batches encoded ahead of the Kafka commit before Debezium's thread waits for it. */
    private static final int MAX_PENDING_UNITS = 4;

    private final String connectorPrefix;
    private final ChangeEncoder encoder;
    private final CommitPipeline commits;
    private final int maxBatchSize;
    private final ExtractMetrics metrics;
    private final Supplier<Map<TableId, String>> catalog;
    private final List<Consumer<Consumer<ProducerRecord<byte[], byte[]>>>> ready = new ArrayList<>();
    private final List<ProducerRecord<byte[], byte[]>> registrations = new ArrayList<>();
    private final SlotConfirmation<RecordChangeEvent<SourceRecord>> confirmation = new SlotConfirmation<>();
    private OpenTransaction open;
    private long snapshotSequence;
    private long standaloneSequence;
    private long standaloneBase;
    private long lastCommitLsn;
    private boolean catalogPending = true;
    private boolean midSnapshot;
    private final Map<TableId, Long> uncommittedCounts = new LinkedHashMap<>();
    private final List<Long> uncommittedCommits = new ArrayList<>();

    /** A source transaction between its BEGIN and END markers. */
    private static final class OpenTransaction {
        final List<ChangeEncoder.PreparedChange> changes = new ArrayList<>();
        final Map<String, Long> counts = new LinkedHashMap<>();
    }

    /**
     * @param connectorPrefix Debezium's {@code topic.prefix}, to recognise its transaction and message records
     * @param catalog         current catalog fingerprints, written with the offsets at start and on schema changes
     * @param maxBatchSize    Debezium's {@code max.batch.size}: a full batch means more records wait in its queue
     */
    public ExtractConsumer(String connectorPrefix, ChangeEncoder encoder, StreamTransactions kafka,
            ExtractMetrics metrics, Supplier<Map<TableId, String>> catalog, int maxBatchSize) {
        this.connectorPrefix = connectorPrefix;
        this.encoder = encoder;
        this.metrics = metrics;
        this.catalog = catalog;
        this.maxBatchSize = maxBatchSize;
        this.commits = new CommitPipeline("lockstep-extract-commit-" + connectorPrefix, kafka::write,
                (units, took) -> metrics.kafkaCommitted(units, took, kafka.newRetries()), MAX_PENDING_UNITS);
    }

    @Override
    public void handleBatch(List<RecordChangeEvent<SourceRecord>> events,
            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
        try {
            process(events, committer);
        } catch (RuntimeException e) {
            // The failure ends Debezium's engine (the run then starts the extract again, or stops); say what failed.
            LOG.debug("Extract failed to write a batch of {} record(s): {}", events.size(), e.toString(), e);
            throw e;
        }
    }

    private void process(List<RecordChangeEvent<SourceRecord>> events,
            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
        commits.rethrowFailure();
        for (RecordChangeEvent<SourceRecord> event : events) {
            accept(event.record());
            confirmation.read(event, open != null);
        }
        LOG.debug("Batch of {} record(s); {} unit(s) ready, transaction open: {}", events.size(), ready.size(),
                open != null);
        if (confirmation.closing() != null) {
            long sequence = commits.submit(closeUnit());
            if (events.size() < maxBatchSize) {
                // Debezium handed over less than a full batch: it has caught up, so nothing is gained by reading on
                // while Kafka commits. Wait, and confirm the slot now rather than at the next batch.
                commits.awaitCommitted(sequence);
            }
        }
        if (confirmation.confirm(committer::markProcessed) > 0) {
            committer.markBatchFinished();
        }
    }

    /** Everything read up to the closing record, encoded, as one unit for the Kafka commit pipeline. */
    private CommitPipeline.Unit closeUnit() {
        RecordChangeEvent<SourceRecord> closing = confirmation.handOver();
        SourceRecord last = closing.record();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(registrations);
        ready.forEach(unit -> unit.accept(records::add));
        ready.clear();
        registrations.clear();
        Map<TableId, String> catalogNow = catalogPending || !encoder.drainChangedSchemas().isEmpty()
                ? catalog.get() : null;
        catalogPending = false;
        Map<TableId, Long> counts = Map.copyOf(uncommittedCounts);
        List<Long> commitMicros = List.copyOf(uncommittedCommits);
        uncommittedCounts.clear();
        uncommittedCommits.clear();
        boolean inSnapshot = midSnapshot;
        midSnapshot = false;
        // Only the offset of the closing record counts: Debezium keeps one offset per source partition.
        return new CommitPipeline.Unit(records, last.sourcePartition(), last.sourceOffset(), catalogNow, () -> {
            if (inSnapshot) {
                FailPoint.check(FailPoint.MID_SNAPSHOT);
            }
            counts.forEach(metrics::changed);
            commitMicros.forEach(metrics::transactionProduced);
            confirmation.committed(closing);
        });
    }

    /** Commits what was handed over and waits, then stops the commit thread; call after Debezium stopped. */
    @Override
    public void close() {
        commits.close();
    }

    private void accept(SourceRecord record) {
        String topic = record.topic();
        boolean heartbeat = topic.startsWith("__debezium-heartbeat");
        if (topic.equals(connectorPrefix + ".transaction")) {
            boundary(record);
        } else if (heartbeat || isHelperTable(record)) {
            // offsets only: advances the slot on a quiet source
            if (!heartbeat && isInitialSnapshot(record) && isLastSnapshotRecord(record)) {
                // Dropped, it would take the snapshot's completion with it (DebeziumConfig snapshots no helper table).
                throw new IllegalStateException("the initial snapshot ended on a row of helper table "
                        + ChangeEncoder.tableOf(record) + ", which is not written to the changes topic");
            }
        } else if (open != null) {
            boolean message = isMessage(record);
            boolean truncate = ChangeEncoder.isTruncate(record);
            // Incremental snapshot rows come out inside the transaction that closes their watermark window.
            String phase = isRead(record) ? "SNAPSHOT" : "STREAMING";
            open.changes.add(message ? encoder.prepareControl(record, registrations::add)
                    : truncate ? encoder.prepareTruncate(record, registrations::add)
                    : encoder.prepareChange(record, phase, registrations::add));
            open.counts.merge(message || truncate ? "message" : ChangeEncoder.tableOf(record).toString(), 1L,
                    Long::sum);
        } else if (isInitialSnapshot(record)) {
            long lsn = (Long) record.sourceOffset().get("lsn");
            StreamPosition position = StreamPosition.of(lsn, ++snapshotSequence);
            String phase = isLastSnapshotRecord(record) ? "SNAPSHOT_LAST" : "SNAPSHOT";
            ChangeEncoder.PreparedChange change = encoder.prepareChange(record, phase, registrations::add);
            ready.add(out -> encoder.emit(change, position, out));
            uncommittedCounts.merge(change.table(), 1L, Long::sum);
            midSnapshot = phase.equals("SNAPSHOT");
        } else {
            standalone(record);
        }
    }

    private void boundary(SourceRecord record) {
        Struct value = (Struct) record.value();
        if ("BEGIN".equals(value.getString("status"))) {
            open = new OpenTransaction();
            return;
        }
        OpenTransaction transaction = open == null ? new OpenTransaction() : open;
        open = null;
        Map<String, ?> offset = record.sourceOffset();
        long commitLsn = (Long) offset.get("lsn_commit");
        long txId = ((Number) offset.get("txId")).longValue();
        long commitMicros = ((Number) offset.get("ts_usec")).longValue();
        lastCommitLsn = commitLsn;
        standaloneSequence = 0;
        List<ChangeEncoder.PreparedChange> changes = transaction.changes;
        if (changes.isEmpty()) {
            return; // only heartbeats or signals
        }
        Map<String, Long> counts = transaction.counts;
        ready.add(out -> {
            encoder.boundary(true, txId, StreamPosition.of(commitLsn, 0), commitMicros, changes.size(), counts, out);
            long sequence = 0;
            for (ChangeEncoder.PreparedChange change : changes) {
                encoder.emit(change, StreamPosition.of(commitLsn, ++sequence), out);
            }
            encoder.boundary(false, txId, StreamPosition.of(commitLsn, sequence + 1), commitMicros, changes.size(),
                    counts, out);
        });
        uncommittedCommits.add(commitMicros);
        counts.forEach((table, n) -> {
            if (!table.equals("message")) {
                uncommittedCounts.merge(TableId.parse(table), n, Long::sum);
            }
        });
    }

    private void standalone(SourceRecord record) {
        Map<String, ?> offset = record.sourceOffset();
        // A record outside any transaction sits after the last commit; its own LSN (when later) keeps positions
        // unique across restarts, when the in-memory counter starts again.
        long own = offset.get("lsn") instanceof Number n ? n.longValue() : 0;
        long committed = lastCommitLsn != 0 ? lastCommitLsn
                : offset.get("lsn_commit") instanceof Number n ? n.longValue() : own;
        long base = Math.max(committed, own);
        if (base != standaloneBase) {
            standaloneBase = base;
            standaloneSequence = 0;
        }
        StreamPosition position = StreamPosition.of(base, STANDALONE_SEQUENCE + ++standaloneSequence);
        if (isMessage(record) || ChangeEncoder.isTruncate(record)) {
            ChangeEncoder.PreparedChange message = isMessage(record) ? encoder.prepareControl(record, registrations::add)
                    : encoder.prepareTruncate(record, registrations::add);
            ready.add(out -> encoder.emit(message, position, out));
        } else {
            ChangeEncoder.PreparedChange change = encoder.prepareChange(record, isRead(record) ? "SNAPSHOT"
                    : "STREAMING", registrations::add);
            ready.add(out -> encoder.emit(change, position, out));
            uncommittedCounts.merge(change.table(), 1L, Long::sum);
        }
    }

    private boolean isMessage(SourceRecord record) {
        return record.topic().equals(connectorPrefix + ".message");
    }

    private static boolean isRead(SourceRecord record) {
        return record.value() instanceof Struct value && value.schema().field("op") != null
                && "r".equals(value.getString("op"));
    }

    private static boolean isInitialSnapshot(SourceRecord record) {
        Object snapshot = record.sourceOffset().get("snapshot");
        return snapshot != null && !"false".equals(String.valueOf(snapshot));
    }

    private static boolean isLastSnapshotRecord(SourceRecord record) {
        return Boolean.TRUE.equals(record.sourceOffset().get("last_snapshot_record"));
    }

    private boolean isHelperTable(SourceRecord record) {
        if (!(record.value() instanceof Struct value) || isMessage(record) || value.schema().field("source") == null) {
            return false;
        }
        return SourceDatabase.SCHEMA.equals(value.getStruct("source").getString("schema"));
    }
}
