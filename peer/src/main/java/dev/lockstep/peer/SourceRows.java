package dev.lockstep.peer;

import dev.lockstep.benchmarks.TrackedCommits;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rows the benchmark itself commits on the source, in id ranges the workload never touches: markers (one row in each
 * of the five shop tables, one transaction) that say when a target has caught up to a point, and probes (one new
 * customer each) whose visibility in a target is timed. Not thread-safe: one connection.
 */
final class SourceRows {

    /** Customers, products, orders and items of markers have ids from here; categories from {@link #CATEGORY_BASE}. */
    static final long MARKER_BASE = 50_000_000L;
    /** Probe customers have ids from here. */
    static final long PROBE_BASE = 60_000_000L;
    /** Categories of markers have ids from here (an int column). */
    static final int CATEGORY_BASE = 1_000;

    /** A marker transaction: its id, its tracked WAL position and when its commit returned. */
    record Marker(long id, long lsn, long committedNanos) {}

    /** Markers and probes committed so far, on any connection: their ids are unique in the source. */
    private static final AtomicLong MARKERS = new AtomicLong();
    private static final AtomicLong PROBES = new AtomicLong();

    private final TrackedCommits tracked;

    /** Commits through {@code source}, which it switches to manual commit. */
    SourceRows(Connection source) throws SQLException {
        source.setAutoCommit(false);
        this.tracked = new TrackedCommits(source);
    }

    /** Commits the next marker: a category, a customer, a product, an order and its item. */
    Marker marker() throws SQLException {
        long marker = MARKERS.incrementAndGet();
        long id = MARKER_BASE + marker;
        Connection c = tracked.connection();
        int category = CATEGORY_BASE + (int) marker;
        update(c, "INSERT INTO categories (id, name) VALUES (?, 'Marker ' || ?)", category, id);
        update(c, "INSERT INTO customers (id, name, email, city, segment) VALUES (?, 'Marker ' || ?, 'marker.' || ? "
                + "|| '@example.org', 'Paris', 'standard')", id, id, id);
        update(c, "INSERT INTO products (id, name, sku, category_id, price) VALUES (?, 'Marker ' || ?, 'marker-' || ?, "
                + "?, 1.00)", id, id, id, category);
        update(c, "INSERT INTO orders (id, customer_id) VALUES (?, ?)", id, id);
        update(c, "INSERT INTO order_items (id, order_id, product_id, quantity, unit_price) VALUES (?, ?, ?, 1, 1.00)",
                id, id, id);
        c.commit();
        return new Marker(id, tracked.lastLsn(), tracked.lastCommitNanos());
    }

    /** Commits the next probe customer and returns its id; {@link #lastCommitNanos()} says when. */
    long probe() throws SQLException {
        long id = PROBE_BASE + PROBES.incrementAndGet();
        Connection c = tracked.connection();
        update(c, "INSERT INTO customers (id, name, email, city, segment) VALUES (?, 'Probe ' || ?, 'probe.' || ? "
                + "|| '@example.org', 'Paris', 'standard')", id, id, id);
        c.commit();
        return id;
    }

    /** Returns {@link System#nanoTime()} when the last commit returned. */
    long lastCommitNanos() {
        return tracked.lastCommitNanos();
    }

    private static void update(Connection c, String sql, long... values) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                statement.setLong(i + 1, values[i]);
            }
            statement.executeUpdate();
        }
    }
}
