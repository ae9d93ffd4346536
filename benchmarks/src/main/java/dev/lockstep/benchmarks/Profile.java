package dev.lockstep.benchmarks;

import dev.lockstep.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

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
