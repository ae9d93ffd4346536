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
                        synchronized (samples) {
                            rounds++;
                            while (rs.next()) {
                                samples.merge(rs.getString(1) + " | " + rs.getString(2), 1, Integer::sum);
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
