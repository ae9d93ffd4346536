package dev.lockstep.benchmarks;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Samples what the warehouse server's active sessions wait for, every 10 ms on a connection of its own: a profile of
 * where a statement's time goes (no wait event: on the CPU, or waiting for it). Sessions are told apart by the start
 * of their statement.
 */
final class WaitSampler implements AutoCloseable {

    private final Map<String, Integer> samples = new TreeMap<>();
    /** The samples by second since {@link #origin} (negative: before it), once it is set. */
    private final Map<Long, Map<String, Integer>> buckets = new TreeMap<>();
    private volatile long origin = Long.MAX_VALUE;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;
    private int rounds;

    WaitSampler(Connection connection) {
        thread = new Thread(() -> {
            try (Statement s = connection.createStatement()) {
                while (!stop.get()) {
                    try (ResultSet rs = s.executeQuery("SELECT CASE WHEN query LIKE 'WITH c AS MATERIALIZED%' THEN "
                            + "'rebuild chunk' WHEN query LIKE 'UPDATE shop_dw.fact_order_line f SET bench_share%' "
                            + "THEN 'UPDATE ... FROM' ELSE left(regexp_replace(query, '\\s+', ' ', 'g'), 40) END, "
                            + "coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity WHERE "
                            + "state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'")) {
                        long since = System.nanoTime() - origin;
                        synchronized (samples) {
                            rounds++;
                            Map<String, Integer> bucket = origin == Long.MAX_VALUE ? null : buckets
                                    .computeIfAbsent(Math.floorDiv(since, 1_000_000_000L), b -> new TreeMap<>());
                            while (rs.next()) {
                                String key = rs.getString(1) + " | " + rs.getString(2);
                                samples.merge(key, 1, Integer::sum);
                                if (bucket != null) {
                                    bucket.merge(key, 1, Integer::sum);
                                }
                            }
                        }
                    }
                    Thread.sleep(10);
                }
            } catch (SQLException e) {
                System.err.println("wait sampler stopped: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "wait-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /** Tallies the samples from now on also by second since {@code nanos} ({@link System#nanoTime}). */
    void origin(long nanos) {
        origin = nanos;
    }

    /**
     * Returns the {@code top} most sampled statement and wait pairs of the seconds {@code from} (inclusive) to {@code
     * to} (exclusive) after the origin, with their sample counts ("" when none was sampled then).
     */
    String top(long from, long to, int top) {
        Map<String, Integer> in = new TreeMap<>();
        synchronized (samples) {
            buckets.forEach((second, tally) -> {
                if (second >= from && second < to) {
                    tally.forEach((key, count) -> in.merge(key, count, Integer::sum));
                }
            });
        }
        StringBuilder text = new StringBuilder();
        in.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
                .forEach(e -> text.append(text.length() == 0 ? "" : "; ").append(e.getValue()).append(' ')
                        .append(e.getKey()));
        return text.toString();
    }

    /** Prints the {@code top} most sampled statement and wait pairs, as shares of the rounds sampled. */
    void print(int top) {
        synchronized (samples) {
            System.out.printf("  waits (%,d samples of the active sessions, 10 ms apart):%n", rounds);
            samples.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
                    .forEach(e -> System.out.printf("    %5.1f%%  %s%n", 100.0 * e.getValue() / rounds, e.getKey()));
            samples.clear();
            rounds = 0;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        thread.join();
    }
}
