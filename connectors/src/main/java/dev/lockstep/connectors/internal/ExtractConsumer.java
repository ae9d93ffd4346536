package dev.lockstep.connectors.internal;

import dev.lockstep.connectors.ExtractMetrics;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
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
 * <p>A source transaction is buffered until its END marker arrives, because its commit LSN (the first half of
 * every position) is known only then; records are marked processed in Debezium — which lets it confirm the
 * LSN to the slot — only after the Kafka transaction that carries them committed. Runs on Debezium's single
 * processing thread.
 */
public final class ExtractConsumer implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {

    private static final Logger LOG = LoggerFactory.getLogger(ExtractConsumer.class);

    /** Sequence numbers of changes outside any source transaction start here, after every in-transaction one. */
    static final long STANDALONE_SEQUENCE = 1L << 62;

    private final String connectorPrefix;
    private final ChangeEncoder encoder;
    private final StreamTransactions kafka;
    private final ExtractMetrics metrics;
    private final Supplier<Map<TableId, String>> catalog;
    private final Deque<RecordChangeEvent<SourceRecord>> unacked = new ArrayDeque<>();
    private final List<Consumer<Consumer<ProducerRecord<byte[], byte[]>>>> ready = new ArrayList<>();
    private List<SourceRecord> openTransaction;
    private int openTransactionRecords;
    private long snapshotSequence;
    private long standaloneSequence;
    private long lastCommitLsn;
    private boolean catalogPending;

    /**
     * @param connectorPrefix Debezium's {@code topic.prefix}, to recognise its transaction and message records
     * @param catalog         current catalog fingerprints, written with the offsets at start and on schema changes
     */
    public ExtractConsumer(String connectorPrefix, ChangeEncoder encoder, StreamTransactions kafka,
            ExtractMetrics metrics, Supplier<Map<TableId, String>> catalog) {
        this.connectorPrefix = connectorPrefix;
        this.encoder = encoder;
        this.kafka = kafka;
        this.metrics = metrics;
        this.catalog = catalog;
        this.catalogPending = true;
    }

    @Override
    public void handleBatch(List<RecordChangeEvent<SourceRecord>> events,
            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
        try {
            process(events, committer);
        } catch (RuntimeException e) {
            // Debezium retries a failing consumer quietly; say what failed before it does.
            LOG.error("Extract failed to write a batch of {} record(s): {}", events.size(), e.toString(), e);
            throw e;
        }
    }

    private void process(List<RecordChangeEvent<SourceRecord>> events,
            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
        for (RecordChangeEvent<SourceRecord> event : events) {
            if (LOG.isTraceEnabled()) {
                LOG.trace("record topic={} offset={}", event.record().topic(), event.record().sourceOffset());
            }
            unacked.add(event);
            accept(event.record());
        }
        int ackable = unacked.size() - openTransactionRecords;
        LOG.debug("Batch of {} record(s): {} unacked, {} in the open transaction, {} unit(s) ready", events.size(),
                unacked.size(), openTransactionRecords, ready.size());
        if (ackable <= 0) {
            return;
        }
        SourceRecord last = nth(ackable - 1);
        List<Consumer<Consumer<ProducerRecord<byte[], byte[]>>>> units = List.copyOf(ready);
        ready.clear();
        Map<TableId, String> catalogNow = catalogPending || !encoder.drainChangedSchemas().isEmpty()
                ? catalog.get() : null;
        kafka.write(out -> units.forEach(unit -> unit.accept(out)), last.sourcePartition(), last.sourceOffset(),
                catalogNow);
        catalogPending = false;
        for (int i = 0; i < ackable; i++) {
            committer.markProcessed(unacked.poll());
        }
        committer.markBatchFinished();
    }

    private void accept(SourceRecord record) {
        String topic = record.topic();
        boolean heartbeat = topic.startsWith("__debezium-heartbeat");
        if (topic.equals(connectorPrefix + ".transaction")) {
            boundary(record);
        } else if (openTransaction != null) {
            openTransactionRecords++;
            if (!heartbeat && !isHelperTable(record)) {
                openTransaction.add(record);
            }
        } else if (heartbeat || isHelperTable(record)) {
            // offsets only: advances the slot on a quiet source
        } else if (isInitialSnapshot(record)) {
            long lsn = (Long) record.sourceOffset().get("lsn");
            StreamPosition position = StreamPosition.of(lsn, ++snapshotSequence);
            String phase = Boolean.TRUE.equals(record.sourceOffset().get("last_snapshot_record"))
                    ? "SNAPSHOT_LAST" : "SNAPSHOT";
            ready.add(out -> {
                encoder.change(record, position, phase, out);
                metrics.changed(ChangeEncoder.tableOf(record), 1);
            });
        } else {
            standalone(record);
        }
    }

    private void boundary(SourceRecord record) {
        Struct value = (Struct) record.value();
        if ("BEGIN".equals(value.getString("status"))) {
            openTransaction = new ArrayList<>();
            openTransactionRecords = 1;
            return;
        }
        List<SourceRecord> events = openTransaction == null ? List.of() : openTransaction;
        openTransaction = null;
        openTransactionRecords = 0;
        Map<String, ?> offset = record.sourceOffset();
        long commitLsn = (Long) offset.get("lsn_commit");
        long txId = ((Number) offset.get("txId")).longValue();
        long commitMicros = ((Number) offset.get("ts_usec")).longValue();
        lastCommitLsn = commitLsn;
        standaloneSequence = 0;
        if (events.isEmpty()) {
            return; // only heartbeats or signals
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        for (SourceRecord event : events) {
            counts.merge(isMessage(event) ? "message" : ChangeEncoder.tableOf(event).toString(), 1L, Long::sum);
        }
        ready.add(out -> {
            encoder.boundary(true, txId, StreamPosition.of(commitLsn, 0), commitMicros, events.size(), counts, out);
            long sequence = 0;
            for (SourceRecord event : events) {
                StreamPosition position = StreamPosition.of(commitLsn, ++sequence);
                if (isMessage(event)) {
                    encoder.control(event, position, out);
                } else {
                    encoder.change(event, position, "STREAMING", out);
                }
            }
            encoder.boundary(false, txId, StreamPosition.of(commitLsn, sequence + 1), commitMicros, events.size(),
                    counts, out);
            counts.forEach((table, n) -> {
                if (!table.equals("message")) {
                    metrics.changed(TableId.parse(table), n);
                }
            });
            metrics.transactionProduced(commitMicros);
        });
    }

    private void standalone(SourceRecord record) {
        Map<String, ?> offset = record.sourceOffset();
        long base = lastCommitLsn != 0 ? lastCommitLsn
                : ((Number) (offset.containsKey("lsn_commit") ? offset.get("lsn_commit") : offset.get("lsn")))
                        .longValue();
        StreamPosition position = StreamPosition.of(base, STANDALONE_SEQUENCE + ++standaloneSequence);
        if (isMessage(record)) {
            ready.add(out -> encoder.control(record, position, out));
        } else {
            ready.add(out -> {
                encoder.change(record, position, "SNAPSHOT", out);
                metrics.changed(ChangeEncoder.tableOf(record), 1);
            });
        }
    }

    private boolean isMessage(SourceRecord record) {
        return record.topic().equals(connectorPrefix + ".message");
    }

    private static boolean isInitialSnapshot(SourceRecord record) {
        Object snapshot = record.sourceOffset().get("snapshot");
        return snapshot != null && !"false".equals(String.valueOf(snapshot))
                && !Boolean.FALSE.equals(snapshot);
    }

    private boolean isHelperTable(SourceRecord record) {
        if (!(record.value() instanceof Struct value) || isMessage(record) || value.schema().field("source") == null) {
            return false;
        }
        Struct source = value.getStruct("source");
        return SourceDatabase.SCHEMA.equals(source.getString("schema"));
    }

    private SourceRecord nth(int index) {
        int i = 0;
        for (RecordChangeEvent<SourceRecord> event : unacked) {
            if (i++ == index) {
                return event.record();
            }
        }
        throw new IndexOutOfBoundsException(index);
    }
}
