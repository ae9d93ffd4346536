package dev.lockstep.connectors.internal;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The extract's one rule for what Debezium may confirm to the replication slot: PostgreSQL never sends again what
 * a slot has confirmed, so a source position is confirmed only once everything read up to it is on the changes
 * topic.
 *
 * <p>Debezium confirms the offset of the last record it was told is processed. That record is always one read
 * while no source transaction was open (a transaction's END marker, or a heartbeat between transactions): {@link
 * #handOver()} gives it to the Kafka transaction that carries every change read before it, and its offset. Only
 * that transaction, once committed, reports it back ({@link #committed}); {@link #confirm} then tells Debezium, on
 * Debezium's thread. A Kafka commit that fails reports nothing, so nothing is confirmed; the next start resumes
 * from the offsets committed with the changes. {@link #read}, {@link #handOver} and {@link #confirm}: Debezium's
 * processing thread only; {@link #committed}: any thread.
 *
 * @param <R> Debezium's record type
 */
final class SlotConfirmation<R> {

    private R closing;
    private final ConcurrentLinkedQueue<R> committed = new ConcurrentLinkedQueue<>();

    /** Tells Debezium a record is processed (its {@code RecordCommitter.markProcessed}). */
    @FunctionalInterface
    interface Processed<R> {
        void mark(R record) throws InterruptedException;
    }

    /** Notes that {@code record} was read; it may close what was read so far only when no transaction is open. */
    void read(R record, boolean transactionOpen) {
        if (!transactionOpen) {
            closing = record;
        }
    }

    /** Returns the record whose offset the next Kafka transaction stores, or null when nothing closed yet. */
    R closing() {
        return closing;
    }

    /**
     * Returns {@link #closing()} for the Kafka transaction about to carry it, and starts over; the caller reports
     * it with {@link #committed} once that transaction committed, never before.
     */
    R handOver() {
        R record = closing;
        closing = null;
        return record;
    }

    /** Reports that the Kafka transaction carrying {@code record} (from {@link #handOver()}) committed. */
    void committed(R record) {
        committed.add(record);
    }

    /**
     * Marks every record reported committed so far as processed, in the order committed, which lets Debezium
     * confirm the last to the slot. Returns how many were marked.
     */
    int confirm(Processed<R> processed) throws InterruptedException {
        int marked = 0;
        for (R record = committed.poll(); record != null; record = committed.poll()) {
            processed.mark(record);
            marked++;
        }
        return marked;
    }
}
