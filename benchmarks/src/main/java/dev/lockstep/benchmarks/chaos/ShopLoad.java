package dev.lockstep.benchmarks.chaos;

import static java.util.Objects.requireNonNull;

import dev.lockstep.shop.ShopWorkload;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

/**
 * The shop workload on its own thread and source connection, paced to a rate of row changes per second, until it
 * wrote its changes or reached its deadline.
 *
 * <p>Before each of its last source transactions it reads the WAL insert position; the transaction's commit record
 * comes after it and every earlier transaction's before it, so with one writer the warehouse's applied commit LSN
 * ({@code lockstep.offsets.commit_lsn}) reaches {@link #lastPosition()} exactly when the last transaction that
 * changed rows is applied (a load stopped early, by {@link #stop()} or its deadline, may hold an older position).
 * Counters are safe to read from any thread.
 */
final class ShopLoad {

    /** More row changes than one workload transaction writes: the position is read only within the last ones. */
    private static final long TAIL = 20;

    private final ShopWorkload workload;
    private final Callable<Connection> source;
    private final long changes;
    private final double rate;
    private final Duration deadline;
    private volatile long startedNanos;
    private volatile long endedNanos;
    private volatile long lastPosition;
    private volatile boolean stopped;
    private volatile boolean deadlineReached;
    private volatile Exception failure;
    private Thread thread;

    /** A load writing {@code changes} changes of {@code workload} at {@code rate}/s, for at most {@code deadline}. */
    ShopLoad(ShopWorkload workload, Callable<Connection> source, long changes, double rate, Duration deadline) {
        this.workload = requireNonNull(workload, "workload");
        this.source = requireNonNull(source, "source");
        this.changes = changes;
        this.rate = rate;
        this.deadline = requireNonNull(deadline, "deadline");
    }

    /** Starts writing; once only. */
    void start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        startedNanos = System.nanoTime();
        thread = new Thread(this::write, "chaos-shop-workload");
        thread.setDaemon(true);
        thread.start();
    }

    boolean started() {
        return thread != null;
    }

    /** Returns true once the load stopped writing (done, deadline, stopped or failed). */
    boolean ended() {
        return endedNanos != 0;
    }

    long changes() {
        return workload.changes();
    }

    long transactions() {
        return workload.transactions();
    }

    /** Returns the WAL position read before the last transaction that changed rows; 0 before any. */
    long lastPosition() {
        return lastPosition;
    }

    boolean deadlineReached() {
        return deadlineReached;
    }

    Optional<Exception> failure() {
        return Optional.ofNullable(failure);
    }

    /** Returns {@link System#nanoTime()} when the load stopped writing; 0 while it writes. */
    long endedNanos() {
        return endedNanos;
    }

    /** Returns how long the load wrote, or has written so far. */
    Duration elapsed() {
        long end = endedNanos != 0 ? endedNanos : System.nanoTime();
        return startedNanos == 0 ? Duration.ZERO : Duration.ofNanos(end - startedNanos);
    }

    /** Returns source transactions per second over {@link #elapsed()}. */
    double transactionsPerSecond() {
        double seconds = elapsed().toNanos() / 1e9;
        return seconds <= 0 ? 0 : transactions() / seconds;
    }

    /** Returns row changes per second over {@link #elapsed()}. */
    double changesPerSecond() {
        double seconds = elapsed().toNanos() / 1e9;
        return seconds <= 0 ? 0 : changes() / seconds;
    }

    /** Asks the load to stop after the transaction in flight. */
    void stop() {
        stopped = true;
    }

    /** Waits up to {@code timeout} for the writer thread to end; returns true when it did (or never started). */
    boolean join(Duration timeout) throws InterruptedException {
        if (thread == null) {
            return true;
        }
        thread.join(timeout.toMillis());
        return !thread.isAlive();
    }

    private void write() {
        long end = startedNanos + deadline.toNanos();
        try (Connection c = source.call();
                PreparedStatement position = c.prepareStatement("SELECT (pg_current_wal_insert_lsn() - "
                        + "'0/0'::pg_lsn)::bigint")) {
            long written = 0;
            while (written < changes && !stopped) {
                if (System.nanoTime() > end) {
                    deadlineReached = true;
                    break;
                }
                long before = changes - written <= TAIL ? read(position) : 0;
                ShopWorkload.Step step = workload.step(c);
                if (step.changes() > 0) {
                    lastPosition = before;
                    written += step.changes();
                }
                long wait = startedNanos + (long) (written / rate * 1e9) - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait); // pacing the writer, not waiting for a result
                }
            }
        } catch (Exception e) {
            failure = e;
        } finally {
            endedNanos = System.nanoTime();
        }
    }

    private static long read(PreparedStatement position) throws SQLException {
        try (ResultSet rs = position.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
