package dev.lockstep.core.reader;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.SchemaStore;
import dev.lockstep.core.envelope.UndecodableRecordException;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TopicNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a pipeline's changes topic as a {@code read_committed} consumer, from an offset the caller stored (the
 * applier keeps it in its own database), and hands the stream to a {@link Handler} record by record, with the
 * source transaction boundaries — so that a transaction of any size can be streamed into a load without being
 * held in memory.
 *
 * <p>Source transactions at or below the already applied position are skipped whole: after a crash of the
 * extract they are re-sent. A record that cannot be decoded is handed to {@link Handler#undecodable} and the
 * stream goes on.
 *
 * <p>A thread of the reader's own fetches and decodes ahead — at most {@value #FETCHED_AHEAD} polls' worth — while
 * the caller applies what it was handed, so reading and decoding the next batch overlaps with applying this one.
 * The caller sees the same stream, in the same order, as without it. Not thread-safe: one reader per applier
 * thread (the fetching thread is the reader's own).
 */
public final class ChangeStreamReader implements AutoCloseable {

    /** Short: the apply loop asks between batches, and an unreachable broker should show as such at once. */
    private static final Duration END_OFFSET_TIMEOUT = Duration.ofSeconds(5);

    /** Polls fetched and decoded ahead of the caller. */
    static final int FETCHED_AHEAD = 2;
    private static final Duration FETCH_POLL = Duration.ofMillis(100);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TopicPartition partition;
    private final EnvelopeCodec codec;
    private final Map<String, Object> consumerConfig;
    private final Thread fetcher;
    /** {@link Fetched} polls in order, or the {@link RuntimeException} that ended the fetching thread. */
    private final BlockingQueue<Object> fetched = new ArrayBlockingQueue<>(FETCHED_AHEAD);
    /** Records beyond what the fetching thread read, as of its last poll (-1: not known yet). */
    private volatile long lagBeyondFetched = -1;
    private volatile boolean closing;
    private KafkaConsumer<byte[], byte[]> ends;
    private StreamPosition applied;
    private GenericRecord skipping;
    private boolean inTransaction;
    /** The poll being handed (a full handler may stop in its middle), and the next of its records to hand. */
    private Fetched current;
    private int next;
    /** The offset of the next record to read, as of what was handed. */
    private long nextOffset;
    private long firstTimestamp = -1;
    private RuntimeException failure;

    /** One record as fetched: decoded, or the reason it cannot be. */
    private record Entry(long offset, long timestamp, GenericRecord record, byte[] value, String undecodable) {}

    /** What one poll of the fetching thread brought, and the consumer's position after it (past commit markers). */
    private record Fetched(List<Entry> entries, long positionAfter) {}

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

        /**
         * Returns true when the handler wants the source transaction starting at {@code begin} (its BEGIN marker's
         * position: the transaction's commit LSN) left for a later call: a barrier the stream must not pass yet.
         */
        default boolean stopsBefore(StreamPosition begin) {
            return false;
        }
    }

    private ChangeStreamReader(KafkaConsumer<byte[], byte[]> consumer, Map<String, Object> consumerConfig,
            TopicPartition partition, SchemaStore store, StreamPosition applied, long nextOffset) {
        this.consumer = consumer;
        this.consumerConfig = consumerConfig;
        this.partition = partition;
        this.codec = new EnvelopeCodec(store);
        this.applied = applied;
        this.nextOffset = nextOffset;
        this.fetcher = new Thread(this::fetch, "lockstep-read-" + partition.topic());
        fetcher.setDaemon(true);
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
        Map<String, Object> config = Map.of(
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
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config);
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
            ChangeStreamReader reader = new ChangeStreamReader(consumer, config, partition, store, applied, nextOffset);
            reader.fetcher.start();
            return reader;
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
     * Hands every record that is ready (waiting at most {@code timeout} for the next poll) to {@code handler}, until
     * the handler is {@link Handler#full() full} at a transaction boundary; returns how many. Records fetched and not
     * handed yet are handed first by the next call.
     */
    public int poll(Duration timeout, Handler handler) {
        if (current == null || next >= current.entries().size()) {
            if (!take(timeout)) {
                return 0;
            }
        }
        int handled = 0;
        List<Entry> entries = current.entries();
        while (next < entries.size()) {
            Entry entry = entries.get(next);
            if (!inTransaction() && entry.record() != null && isBegin(entry.record())
                    && positionOf(entry.record()).isAfter(applied) && handler.stopsBefore(positionOf(entry.record()))) {
                break; // left for a later call, which the handler lets pass
            }
            next++;
            if (handled++ == 0) {
                firstTimestamp = entry.timestamp();
            }
            nextOffset = next < entries.size() ? entry.offset() + 1 : current.positionAfter();
            if (entry.record() == null) {
                if (skipping == null) {
                    handler.undecodable(entry.offset(), entry.value(), entry.undecodable());
                }
                continue;
            }
            dispatch(entry.record(), entry.offset(), handler);
            if (!inTransaction() && handler.full()) {
                break; // the rest stays for the next call
            }
        }
        return handled;
    }

    /** Takes the next poll of the fetching thread, waiting at most {@code timeout}; false when none came. */
    private boolean take(Duration timeout) {
        if (failure != null) {
            throw failure;
        }
        Object taken;
        try {
            taken = fetched.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LockstepException(ErrorCode.UNAVAILABLE, "interrupted while reading " + partition.topic(), e);
        }
        if (taken == null) {
            return false;
        }
        if (taken instanceof RuntimeException e) {
            failure = e;
            throw e;
        }
        // Everything fetched so far, as one poll would have brought it: what is not in it was not on the topic yet
        // when the fetching thread last looked, which is what moreReady() reports on.
        Fetched first = (Fetched) taken;
        List<Object> more = new ArrayList<>();
        fetched.drainTo(more);
        List<Entry> entries = first.entries();
        long positionAfter = first.positionAfter();
        for (Object queued : more) {
            if (queued instanceof RuntimeException e) {
                failure = e; // thrown by the next take, after what was fetched before it
                break;
            }
            Fetched f = (Fetched) queued;
            if (entries == first.entries()) {
                entries = new ArrayList<>(entries);
            }
            entries.addAll(f.entries());
            positionAfter = f.positionAfter();
        }
        current = new Fetched(entries, positionAfter);
        next = 0;
        if (current.entries().isEmpty()) {
            nextOffset = current.positionAfter(); // only commit markers were read
        }
        return true;
    }

    /** The fetching thread: polls and decodes ahead, until the reader closes or the consumer fails. */
    private void fetch() {
        long published = nextOffset;
        try {
            while (!closing) {
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(FETCH_POLL);
                } catch (org.apache.kafka.clients.consumer.InvalidOffsetException e) {
                    throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "the changes not yet applied from "
                            + partition.topic() + " are gone (retention deleted them, or the topic was re-created): "
                            + e.getMessage() + ". Re-snapshot the source tables, or raise the topic's retention.ms.",
                            e);
                }
                long position = consumer.position(partition);
                lagBeyondFetched = consumer.currentLag(partition).orElse(0);
                if (records.isEmpty() && position == published) {
                    continue;
                }
                List<Entry> entries = new ArrayList<>(records.count());
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    try {
                        entries.add(new Entry(r.offset(), r.timestamp(), codec.decode(r.value()), null, null));
                    } catch (UndecodableRecordException e) {
                        entries.add(new Entry(r.offset(), r.timestamp(), null, r.value(), e.getMessage()));
                    }
                }
                fetched.put(new Fetched(entries, position));
                published = position;
            }
        } catch (WakeupException | InterruptedException e) {
            // closing
        } catch (RuntimeException e) {
            if (!closing) {
                offerFailure(e);
            }
        }
    }

    private void offerFailure(RuntimeException e) {
        try {
            fetched.put(e);
        } catch (InterruptedException interrupted) {
            // closing
        }
    }

    /**
     * Returns the timestamp (the extract's send time, milliseconds since the epoch) of the first record the last
     * {@link #poll} that handed any handed, or -1 before the first.
     */
    public long firstTimestamp() {
        return firstTimestamp;
    }

    /**
     * Returns true when at least {@code records} committed records wait beyond what this reader has handed: the
     * reader is catching up, not following a live stream.
     */
    public boolean backlog(long records) {
        return notHanded() >= records;
    }

    /** Returns the offset of the next record this reader will hand (past the commit markers of what it handed). */
    public long nextOffset() {
        return nextOffset;
    }

    /** Returns the end of the changes topic for this reader (its last stable offset): where a caught-up reader is. */
    public synchronized long endOffset() {
        try {
            if (ends == null) {
                ends = new KafkaConsumer<>(consumerConfig);
                // Assigned (it never polls): a read_committed consumer asked for the end of a partition it does not
                // hold logs "Not updating last stable offset … as it is no longer assigned" at every call.
                ends.assign(List.of(partition));
            }
            return ends.endOffsets(List.of(partition), END_OFFSET_TIMEOUT).getOrDefault(partition, 0L);
        } catch (KafkaException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot read the end of " + partition.topic() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Returns true when records wait that were on the topic when this reader last took what was fetched: some not
     * handed yet, or more beyond what the fetching thread had read then — the caller's batch may wait for them.
     * Records that reached the topic since belong to the next batch, as they would without reading ahead. A lag of
     * one is the commit marker Kafka wrote after the last transaction read, which a poll skips: nothing more to read.
     */
    public boolean moreReady() {
        return (current != null && next < current.entries().size()) || lagBeyondFetched > 1;
    }

    private long notHanded() {
        long waiting = current == null ? 0 : current.entries().size() - next;
        for (Object queued : fetched) {
            if (queued instanceof Fetched f) {
                waiting += f.entries().size();
            }
        }
        return waiting + Math.max(0, lagBeyondFetched);
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

    private static boolean isBegin(GenericRecord record) {
        return ChangeSchemas.kindOf(record.getSchema()) == ChangeSchemas.Kind.TRANSACTION
                && record.get("status").toString().equals("BEGIN");
    }

    /** Returns the position of any record of the changes topic. */
    public static StreamPosition positionOf(GenericRecord record) {
        GenericRecord position = (GenericRecord) record.get("position");
        return StreamPosition.of((Long) position.get("commit_lsn"), (Long) position.get("sequence"));
    }

    @Override
    public void close() {
        closing = true;
        consumer.wakeup();
        fetcher.interrupt();
        try {
            fetcher.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
        synchronized (this) {
            if (ends != null) {
                ends.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
            }
        }
    }
}
