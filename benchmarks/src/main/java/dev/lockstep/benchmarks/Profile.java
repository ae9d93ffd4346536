package dev.lockstep.benchmarks;

import dev.lockstep.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What the apply benchmark reads back from a warehouse database: star schema rows, and pg_stat_statements. */
final class Profile {

    /** The star schema's dimension and fact tables (partitions apart), the generated date dimension left out. */
    private static final String TARGETS = "n.nspname = ? AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
            + "AND (c.relname LIKE 'fact\\_%' OR c.relname LIKE 'dim\\_%') AND c.relname <> 'dim_date'";

    private Profile() {}

    /** Returns the rows of the star schema's dimensions (their unknown member apart) and facts. */
    static long targetRows(EmbeddedPostgres pg, String database, String schema) throws Exception {
        long rows = 0;
        try (Connection c = pg.connect(database)) {
            for (String table : targets(c, schema)) {
                rows += ApplyBenchmark.queryLong(c, "SELECT count(*) FROM \"" + schema + "\".\"" + table + "\"")
                        - (table.startsWith("dim_") ? 1 : 0);
            }
        }
        return rows;
    }

    /**
     * Returns the rows inserted and updated in the star schema's dimensions and facts (partitions included), as the
     * statistics collector counted them; waits until the counts are stable, as a closed backend reports late.
     */
    static long targetWrites(EmbeddedPostgres pg, String database, String schema) throws Exception {
        String sql = "SELECT coalesce(sum(s.n_tup_ins + s.n_tup_upd), 0) FROM pg_stat_user_tables s JOIN pg_class c "
                + "ON c.oid = s.relid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '" + schema
                + "' AND (c.relname LIKE 'fact\\_%' OR c.relname LIKE 'dim\\_%') AND c.relname <> 'dim_date'";
        try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
            long last = -1;
            for (int i = 0; i < 50; i++) {
                s.execute("SELECT pg_stat_clear_snapshot()");
                long now = ApplyBenchmark.queryLong(c, sql);
                if (now == last) {
                    return now - 2; // the unknown members the migration inserted
                }
                last = now;
                Thread.sleep(300);
            }
            return last - 2;
        }
    }

    /** Creates pg_stat_statements in {@code database} and empties it (the server must preload it). */
    static void reset(EmbeddedPostgres pg, String database) throws Exception {
        try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            s.execute("SELECT pg_stat_statements_reset()");
        }
    }

    /**
     * Prints the statements that took the most time in {@code database}, with their share and, when the server tracks
     * it ({@code pg_stat_statements.track_planning}), their planning time; returns the execution total in ms.
     */
    static double print(EmbeddedPostgres pg, String database) throws Exception {
        try (Connection c = pg.connect(database); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT calls, total_exec_time, rows, 100 * total_exec_time / sum("
                        + "total_exec_time) OVER (), left(regexp_replace(query, '\\s+', ' ', 'g'), 150), sum("
                        + "total_exec_time) OVER (), total_plan_time, sum(total_plan_time) OVER (), sum(calls) OVER () "
                        + "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = "
                        + "current_database()) ORDER BY total_exec_time DESC LIMIT 15")) {
            System.out.printf("  %8s %10s %8s %11s %5s  statement (pg_stat_statements, %s)%n", "calls", "total ms",
                    "plan ms", "rows", "%", database);
            double total = 0;
            while (rs.next()) {
                if (total == 0) {
                    total = rs.getDouble(6);
                    System.out.printf("  %,8d %,10.0f %,8.0f %11s %5s  all statements%n", rs.getLong(9), total,
                            rs.getDouble(8), "", "");
                }
                System.out.printf("  %,8d %,10.0f %,8.0f %,11d %4.1f%%  %s%n", rs.getLong(1), rs.getDouble(2),
                        rs.getDouble(7), rs.getLong(3), rs.getDouble(4), rs.getString(5));
            }
            return total;
        }
    }

    /** One statement's counters in pg_stat_statements at one moment. */
    record Counters(long calls, double execMillis, double planMillis, long rows, String query) {

        Counters minus(Counters earlier) {
            return earlier == null ? this : new Counters(calls - earlier.calls, execMillis - earlier.execMillis,
                    planMillis - earlier.planMillis, rows - earlier.rows, query);
        }
    }

    /** Returns every statement's counters in {@code database} now, by query id. */
    static Map<Long, Counters> snapshot(Connection c) throws Exception {
        Map<Long, Counters> counters = new HashMap<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT queryid, calls, "
                + "total_exec_time, total_plan_time, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 120) "
                + "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = "
                + "current_database())")) {
            while (rs.next()) {
                counters.put(rs.getLong(1), new Counters(rs.getLong(2), rs.getDouble(3), rs.getDouble(4),
                        rs.getLong(5), rs.getString(6)));
            }
        }
        return counters;
    }

    /**
     * Prints, per batch, the statements whose time grew the most between two windows of {@code batches} batches each
     * ({@code early} and {@code late} are the differences of two snapshots), and the totals of both windows.
     */
    static void printGrowth(Map<Long, Counters> early, Map<Long, Counters> late, int batches) {
        double earlyTotal = early.values().stream().mapToDouble(Counters::execMillis).sum() / batches;
        double lateTotal = late.values().stream().mapToDouble(Counters::execMillis).sum() / batches;
        double earlyPlan = early.values().stream().mapToDouble(Counters::planMillis).sum() / batches;
        double latePlan = late.values().stream().mapToDouble(Counters::planMillis).sum() / batches;
        System.out.printf("  per batch, %d early batches against the last %d: executing %.1f -> %.1f ms, planning "
                + "%.1f -> %.1f ms; the statements that grew most (ms per batch early -> late, rows per batch):%n",
                batches, batches, earlyTotal, lateTotal, earlyPlan, latePlan);
        List<Long> ids = new ArrayList<>(late.keySet());
        ids.sort(Comparator.comparingDouble((Long id) -> late.get(id).execMillis()
                - (early.containsKey(id) ? early.get(id).execMillis() : 0)).reversed());
        for (Long id : ids.subList(0, Math.min(12, ids.size()))) {
            Counters l = late.get(id);
            Counters e = early.getOrDefault(id, new Counters(0, 0, 0, 0, l.query()));
            System.out.printf("  %7.1f -> %7.1f ms %9.0f -> %9.0f rows  %s%n", e.execMillis() / batches,
                    l.execMillis() / batches, (double) e.rows() / batches, (double) l.rows() / batches, l.query());
        }
    }

    /** Returns {@code later} minus {@code earlier}, statement by statement. */
    static Map<Long, Counters> between(Map<Long, Counters> earlier, Map<Long, Counters> later) {
        Map<Long, Counters> window = new HashMap<>();
        later.forEach((id, counters) -> window.put(id, counters.minus(earlier.get(id))));
        return window;
    }

    private static List<String> targets(Connection c, String schema) throws Exception {
        List<String> tables = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT c.relname FROM pg_class c JOIN pg_namespace n "
                + "ON n.oid = c.relnamespace WHERE " + TARGETS + " ORDER BY 1")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
        }
        return tables;
    }
}
