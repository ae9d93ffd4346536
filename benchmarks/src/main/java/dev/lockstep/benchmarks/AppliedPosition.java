package dev.lockstep.benchmarks;

import dev.lockstep.control.OffsetStore;
import dev.lockstep.runtime.LockstepEngine;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Reads the shop pipeline's applied position in the warehouse, polling every few ms on its own connection. */
public final class AppliedPosition {

    private static final Duration TIMEOUT = Duration.ofMinutes(20);

    private final Connection warehouse;
    private final OffsetStore offsets;
    private final long pollNanos;

    /** Reads the shop pipeline's position through {@code warehouse}; polls every {@code pollMillis}. */
    public AppliedPosition(Connection warehouse, int pollMillis) throws SQLException {
        this.warehouse = warehouse;
        this.offsets = new OffsetStore(warehouse, "shop");
        this.pollNanos = TimeUnit.MILLISECONDS.toNanos(pollMillis);
    }

    /** Returns the commit LSN of the last source transaction the warehouse reflects (0 before any). */
    public long applied() throws SQLException {
        return offsets.read().map(stored -> stored.applied().commitLsn()).orElse(0L);
    }

    /**
     * Waits until the raw layer holds {@code rows} rows: the initial snapshot is applied whole. (Its rows carry
     * the snapshot's LSN, above every transaction committed before it, so the applied position cannot say.)
     */
    public void awaitSnapshot(LockstepEngine run, long rows) throws Exception {
        String count = "SELECT " + String.join(" + ", List.of("customers", "categories", "products", "orders",
                "order_items").stream().map(t -> "(SELECT count(*) FROM shop_dw_raw." + t + ")").toList());
        await(run, TimeUnit.MILLISECONDS.toNanos(50), () -> {
            try (Statement s = warehouse.createStatement(); ResultSet rs = s.executeQuery(count)) {
                rs.next();
                return rs.getLong(1) >= rows;
            }
        });
    }

    /** Waits until the warehouse reflects the transaction tracked at {@code lsn}; calls {@code each} per poll. */
    public void awaitApplied(LockstepEngine run, long lsn, Runnable each) throws Exception {
        await(run, () -> {
            each.run();
            return applied() >= lsn;
        });
    }

    /** Calls {@code done} every poll interval until it returns true; fails when the run does or on timeout. */
    public void await(LockstepEngine run, Check done) throws Exception {
        await(run, pollNanos, done);
    }

    private static void await(LockstepEngine run, long pollNanos, Check done) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!done.done()) {
            if (run.completion().isCompletedExceptionally()) {
                try {
                    run.completion().join();
                } catch (CompletionException e) {
                    throw new IllegalStateException("the pipeline failed: " + e.getCause(), e.getCause());
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the warehouse did not catch up within " + TIMEOUT);
            }
            LockSupport.parkNanos(pollNanos);
        }
    }

    /** A condition polled until it holds. */
    @FunctionalInterface
    public interface Check {
        boolean done() throws Exception;
    }
}
