package dev.lockstep.connectors.internal;

import dev.lockstep.core.FailPoint;
import dev.lockstep.core.stream.TableId;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits the extract's Kafka transactions on a thread of their own, so that Debezium's thread reads and encodes
 * the next batch while the last one commits.
 *
 * <p>Each {@link Unit} is what one Debezium batch closed: whole source transactions, encoded, and the source offset
 * that covers them. Units commit in the order submitted; every unit waiting when a commit starts goes into that one
 * Kafka transaction, with the offset of the last (several Debezium batches per Kafka transaction under load). A
 * unit's {@code committed} callback runs only after the Kafka transaction carrying it committed. After a failed
 * commit nothing later is ever committed: the pipeline stops, the failure is rethrown to the submitter, and the next
 * extract resumes from the offsets committed before it — a gap in the changes topic is impossible.
 */
final class CommitPipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CommitPipeline.class);

    /** Writes records and the offset that covers them in one Kafka transaction ({@link StreamTransactions#write}). */
    @FunctionalInterface
    interface Transactions {
        void write(Consumer<Consumer<ProducerRecord<byte[], byte[]>>> records, Map<String, ?> partition,
                Map<String, ?> offset, Map<TableId, String> catalog);
    }

    /**
     * What one Debezium batch closed.
     *
     * @param catalog   catalog fingerprints to write with the offset, or null when unchanged
     * @param committed runs on the pipeline's thread once the Kafka transaction carrying the unit committed
     */
    record Unit(List<ProducerRecord<byte[], byte[]>> records, Map<String, ?> partition, Map<String, ?> offset,
            Map<TableId, String> catalog, Runnable committed) {}

    /** Observes each Kafka transaction: how many units it carried and how long it took (begin to committed). */
    @FunctionalInterface
    interface CommitListener {
        void committed(int units, Duration took);
    }

    private final Transactions transactions;
    private final CommitListener listener;
    private final int maxPending;
    private final Thread thread;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Unit> pending = new ArrayDeque<>();
    private long submitted;
    private long done;
    private Throwable failure;
    private boolean closing;

    /**
     * @param maxPending units that may wait before {@link #submit} blocks (Debezium then waits for Kafka)
     */
    CommitPipeline(String name, Transactions transactions, CommitListener listener, int maxPending) {
        this.transactions = transactions;
        this.listener = listener;
        this.maxPending = maxPending;
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Queues {@code unit} after every unit submitted before it and returns its sequence number (for {@link
     * #awaitCommitted}). Blocks while {@code maxPending} units wait. Throws the failure of an earlier commit.
     */
    long submit(Unit unit) throws InterruptedException {
        lock.lock();
        try {
            while (failure == null && !closing && pending.size() >= maxPending) {
                changed.await();
            }
            rethrowFailure();
            if (closing) {
                throw new IllegalStateException("the extract's commit pipeline is closed");
            }
            pending.add(unit);
            changed.signalAll();
            return ++submitted;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the unit numbered {@code sequence}, and so every one before it, committed; rethrows a failure. */
    void awaitCommitted(long sequence) throws InterruptedException {
        lock.lock();
        try {
            while (failure == null && done < sequence) {
                changed.await();
            }
            rethrowFailure();
        } finally {
            lock.unlock();
        }
    }

    /** Throws the failure of an earlier commit, if one failed. */
    void rethrowFailure() {
        lock.lock();
        try {
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        while (true) {
            List<Unit> units = new ArrayList<>();
            lock.lock();
            try {
                while (pending.isEmpty() && !closing) {
                    changed.awaitUninterruptibly();
                }
                if (pending.isEmpty()) {
                    return;
                }
                units.addAll(pending);
                pending.clear();
                changed.signalAll(); // room for the submitter
            } finally {
                lock.unlock();
            }
            try {
                commit(units);
            } catch (Throwable e) { // a Kafka failure, or an Error: either way nothing later may commit
                lock.lock();
                try {
                    failure = e;
                    pending.clear();
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                LOG.debug("Extract commit failed; the pipeline stops: {}", e.toString());
                return;
            }
        }
    }

    private void commit(List<Unit> units) {
        long start = System.nanoTime();
        Unit last = units.get(units.size() - 1);
        Map<TableId, String> catalog = null;
        for (Unit unit : units) {
            catalog = unit.catalog() != null ? unit.catalog() : catalog;
        }
        transactions.write(out -> units.forEach(unit -> unit.records().forEach(out)), last.partition(),
                last.offset(), catalog);
        FailPoint.check(FailPoint.AFTER_KAFKA_COMMIT);
        listener.committed(units.size(), Duration.ofNanos(System.nanoTime() - start));
        units.forEach(unit -> unit.committed().run());
        lock.lock();
        try {
            done += units.size();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Commits what waits, then stops the thread; gives up waiting after {@code timeout} (a commit blocked on an
     * unreachable broker ends when the producer closes).
     */
    void close(Duration timeout) {
        lock.lock();
        try {
            closing = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("The extract's last Kafka commit did not finish within {} s; its changes are read again on the "
                    + "next start", TimeUnit.MILLISECONDS.toSeconds(timeout.toMillis()));
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
