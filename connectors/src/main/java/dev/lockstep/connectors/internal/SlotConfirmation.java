package dev.lockstep.connectors.internal;

import dev.lockstep.core.FailPoint;

/**
 * The extract's one rule for what Debezium may confirm to the replication slot: PostgreSQL never sends again what
 * a slot has confirmed, so a source position is confirmed only once everything read up to it is on the changes
 * topic.
 *
 * <p>Debezium confirms the offset of the last record it was told is processed. That record is always one read
 * while no source transaction was open (a transaction's END marker, or a heartbeat between transactions), and it
 * is told only after the Kafka transaction carrying every change read before it, and its offset, committed. A
 * Kafka commit that fails confirms nothing; the next start resumes from the offsets committed with the changes.
 * Not thread-safe: Debezium's processing thread only.
 *
 * @param <R> Debezium's record type
 */
final class SlotConfirmation<R> {

    private R closing;

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

    /** Returns the record whose offset the next commit stores and confirms, or null when nothing closed yet. */
    R closing() {
        return closing;
    }

    /**
     * Runs {@code kafkaCommit} (the Kafka transaction with every change read up to {@link #closing()} and its offset),
     * then, only when it returned, marks that record processed, which lets Debezium confirm it to the slot. Does
     * nothing when no record closed what was read. A commit that throws leaves the record unconfirmed.
     */
    void commitThenConfirm(Runnable kafkaCommit, Processed<R> processed) throws InterruptedException {
        R record = closing;
        if (record == null) {
            return;
        }
        kafkaCommit.run();
        FailPoint.check(FailPoint.AFTER_KAFKA_COMMIT);
        closing = null;
        processed.mark(record);
    }
}
