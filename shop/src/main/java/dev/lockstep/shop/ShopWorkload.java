package dev.lockstep.shop;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Source transactions against a seeded {@link ShopDatabase}, of the {@link Mix} the shop was seeded for, paced or as
 * fast as the source takes them. Deterministic for a shop and a seed. Not thread-safe: one connection, one thread;
 * the counters may be read from any thread.
 */
public final class ShopWorkload {

    /** Which transactions a workload commits. */
    public enum Mix {
        /**
         * A day of the shop, ~2 row changes per transaction: new orders with their items, orders moving through
         * their statuses, customers moving city or segment (new SCD 2 versions) or correcting their name or email,
         * new customers, price and category changes, deleted items, cancelled orders, deleted customers — and rows
         * the shop example's quality rules catch, some fixed later. The demo, the tests, e2e, chaos and peer.
         */
        DAY,
        /**
         * Set-based, ~139 row changes per transaction: 25 orders with 3 to 5 lines, 10 earlier orders shipped, 2
         * customers moved to another city, one product repriced, one earlier line deleted. The apply benchmarks.
         */
        BULK
    }

    /** What one source transaction changed. */
    public record Step(int changes, String kind) {}

    /**
     * Told of every customer row the day mix writes (the seed's first, when registered): its tracked attributes as
     * written, and whether it passes the shop definition's quarantining rules. Called on the workload's thread.
     */
    public interface CustomerObserver {

        void written(long id, String city, String segment, boolean valid);
    }

    private final TransactionMix mix;
    private final AtomicLong changes = new AtomicLong();
    private final AtomicLong transactions = new AtomicLong();

    /** A workload over {@code shop} (already seeded), deterministic for {@code seed}. */
    public ShopWorkload(ShopDatabase shop, long seed) {
        Objects.requireNonNull(shop, "shop");
        this.mix = shop.mix() == Mix.DAY ? new DayMix(shop, seed) : new BulkMix(shop);
    }

    /**
     * Registers {@code observer} of the day mix's customers; it is told of every seeded customer at once. Only before
     * the first transaction; the bulk mix keeps no record of its customers and throws.
     */
    public void watch(CustomerObserver observer) {
        Objects.requireNonNull(observer, "observer");
        if (transactions.get() > 0) {
            throw new IllegalStateException("watch the workload before its first transaction");
        }
        mix.watch(observer);
    }

    /** Row changes committed so far. */
    public long changes() {
        return changes.get();
    }

    /** Source transactions committed so far. */
    public long transactions() {
        return transactions.get();
    }

    /**
     * Commits source transactions on {@code c} until {@code maxChanges} row changes are written or {@code stop}
     * says so, at about {@code changesPerSecond} (0: as fast as the source takes them).
     */
    public void run(Connection c, long maxChanges, double changesPerSecond, BooleanSupplier stop) throws SQLException {
        long started = System.nanoTime();
        long written = 0;
        while (written < maxChanges && !stop.getAsBoolean()) {
            written += step(c).changes();
            if (changesPerSecond > 0) {
                long due = started + (long) (written / changesPerSecond * 1e9);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait); // pacing the writer, not waiting for a result
                }
            }
        }
    }

    /** Commits the mix's next source transaction on {@code c}, and returns what it changed. */
    public Step step(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try {
            Step step = mix.next(c);
            c.commit();
            changes.addAndGet(step.changes());
            transactions.incrementAndGet();
            return step;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        }
    }
}
