package dev.lockstep.core.stream;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.SchemaStore;
import dev.lockstep.core.envelope.UndecodableRecordException;
import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a pipeline's changes topic as a {@code read_committed} consumer, from an offset the caller stored (the
 * applier keeps it in its own database), and hands the stream to a {@link Handler} record by record, with the
 * source transaction boundaries — so that a transaction of any size can be streamed into a load without being
 * held in memory.
 *
 * <p>Source transactions at or below the already applied position are skipped whole: after a crash of the
 * extract they are re-sent. A record that cannot be decoded is handed to {@link Handler#undecodable} and the
 * stream goes on. Not thread-safe: one reader per applier thread.
 */
public final class ChangeStreamReader implements AutoCloseable {

    /** Short: the apply loop asks between batches, and an unreachable broker should show as such at once. */
    private static final Duration END_OFFSET_TIMEOUT = Duration.ofSeconds(5);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TopicPartition partition;
    private final EnvelopeCodec codec;
    private StreamPosition applied;
    private GenericRecord skipping;
    private boolean inTransaction;
    /** Records fetched and not handed yet (a full handler stopped the last poll), and the offset after the last handed. */
    private Iterator<ConsumerRecord<byte[], byte[]>> held = Collections.emptyIterator();
    private long heldNext;
    private long firstTimestamp = -1;

    /** Receives the stream in order; every method is called on the thread that calls {@link #poll}. */
    public interface Handler {
        /** A source transaction starts (its BEGIN marker). */
        void begin(GenericRecord boundary, long offset);

        /** A change (or a control record) of the current source transaction, or outside any. */
        void record(GenericRecord record, long offset);

        /** The source transaction ends (its END marker, with its counts). */
        void end(GenericRecord boundary, long offset);

        /** A record that cannot be decoded; the stream goes on after it. */
        void undecodable(long offset, byte[] value, String reason);

        /** Returns true when the handler wants no more records before it has applied what it holds. */
        default boolean full() {
            return false;
        }
    }

    private ChangeStreamReader(KafkaConsumer<byte[], byte[]> consumer, TopicPartition partition, SchemaStore store,
            StreamPosition applied) {
        this.consumer = consumer;
        this.partition = partition;
        this.codec = new EnvelopeCodec(store);
        this.applied = applied;
    }

    /**
     * Opens the changes topic of {@code pipeline} at {@code nextOffset}.
     *
     * @param applied the position the warehouse already reflects; whole source transactions at or below it are
     *                skipped
     * @throws LockstepException when {@code nextOffset} was already deleted by the topic's retention
     */
    public static ChangeStreamReader open(String bootstrapServers, String pipeline, long nextOffset,
            StreamPosition applied, SchemaStore store) {
        requireNonNull(applied, "applied");
        TopicPartition partition = new TopicPartition(TopicNames.changes(pipeline), 0);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                // Never jump silently: an offset that retention deleted under us must stop the pipeline.
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000,
                // A batch grows over several polls while more is ready: a fetch brings a large batch's worth at
                // once (the 1 MiB default holds ~3,000 changes of the shop example).
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 << 20,
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 32 << 20,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
        try {
            consumer.assign(List.of(partition));
            long earliest = consumer.beginningOffsets(List.of(partition), Duration.ofSeconds(30)).get(partition);
            if (nextOffset < earliest) {
                throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "pipeline " + pipeline + ": the changes "
                        + "it has not applied yet (from offset " + nextOffset + " of " + partition.topic()
                        + ") were deleted by the topic's retention (it now starts at " + earliest + "). The "
                        + "warehouse can no longer be brought up to date from the stream: re-snapshot the source "
                        + "tables, or raise the topic's retention.ms so this does not happen again.");
            }
            consumer.seek(partition, nextOffset);
            return new ChangeStreamReader(consumer, partition, store, applied);
        } catch (KafkaException e) {
            consumer.close();
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot read " + partition.topic() + ": "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
    }

    /**
     * Hands every record that is ready (waiting at most {@code timeout}) to {@code handler}, until the handler is
     * {@link Handler#full() full} at a transaction boundary; returns how many. Records fetched and not handed yet
     * are handed first by the next call, without fetching them again.
     */
    public int poll(Duration timeout, Handler handler) {
        if (!held.hasNext()) {
            try {
                held = consumer.poll(timeout).iterator();
            } catch (org.apache.kafka.clients.consumer.InvalidOffsetException e) {
                throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "the changes not yet applied from "
                        + partition.topic() + " are gone (retention deleted them, or the topic was re-created): "
                        + e.getMessage() + ". Re-snapshot the source tables, or raise the topic's retention.ms.", e);
            }
        }
        int handled = 0;
        while (held.hasNext()) {
            ConsumerRecord<byte[], byte[]> r = held.next();
            if (handled++ == 0) {
                firstTimestamp = r.timestamp();
            }
            heldNext = r.offset() + 1;
            GenericRecord record;
            try {
                record = codec.decode(r.value());
            } catch (UndecodableRecordException e) {
                if (skipping == null) {
                    handler.undecodable(r.offset(), r.value(), e.getMessage());
                }
                continue;
            }
            dispatch(record, r.offset(), handler);
            if (!inTransaction() && handler.full()) {
                break; // the rest stays held for the next call
            }
        }
        return handled;
    }

    /**
     * Returns the timestamp (the extract's send time, milliseconds since the epoch) of the first record the last
     * {@link #poll} that handed any handed, or -1 before the first.
     */
    public long firstTimestamp() {
        return firstTimestamp;
    }

    /**
     * Returns true when at least {@code records} committed records wait beyond what this reader has read, as of the
     * last fetch: the reader is catching up, not following a live stream.
     */
    public boolean backlog(long records) {
        return consumer.currentLag(partition).orElse(0) >= records;
    }

    /** Returns the offset of the next record this reader will read. */
    public long nextOffset() {
        // Records held: the next one's offset. None: the consumer's position, which also moves past the commit
        // markers of Kafka transactions that a poll skips.
        return held.hasNext() ? heldNext : consumer.position(partition);
    }

    /** Returns the end of the changes topic for this reader (its last stable offset): where a caught-up reader is. */
    public long endOffset() {
        try {
            return consumer.endOffsets(List.of(partition), END_OFFSET_TIMEOUT).getOrDefault(partition, 0L);
        } catch (KafkaException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot read the end of " + partition.topic() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Returns true when the topic holds more committed records than this reader has read, as of the last fetch: the
     * caller's batch may wait for them. A lag of one is the commit marker Kafka wrote after the last transaction
     * read, which a poll skips: nothing more to read.
     */
    public boolean moreReady() {
        return held.hasNext() || consumer.currentLag(partition).orElse(0) > 1;
    }

    /** Returns true between a BEGIN marker and its END marker. */
    public boolean inTransaction() {
        return inTransaction || skipping != null;
    }

    private void dispatch(GenericRecord record, long offset, Handler handler) {
        ChangeSchemas.Kind kind = ChangeSchemas.kindOf(record.getSchema());
        StreamPosition position = positionOf(record);
        if (kind == ChangeSchemas.Kind.TRANSACTION) {
            boolean begin = record.get("status").toString().equals("BEGIN");
            if (begin && !position.isAfter(applied)) {
                skipping = record; // re-sent after an extract crash: already applied
            } else if (begin) {
                inTransaction = true;
                handler.begin(record, offset);
            } else if (skipping != null) {
                skipping = null;
            } else {
                inTransaction = false;
                applied = position;
                handler.end(record, offset);
            }
        } else if (skipping == null && (inTransaction || position.isAfter(applied))) {
            if (!inTransaction) {
                applied = position;
            }
            handler.record(record, offset);
        }
    }

    /** Returns the position of any record of the changes topic. */
    public static StreamPosition positionOf(GenericRecord record) {
        GenericRecord position = (GenericRecord) record.get("position");
        return StreamPosition.of((Long) position.get("commit_lsn"), (Long) position.get("sequence"));
    }

    @Override
    public void close() {
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
