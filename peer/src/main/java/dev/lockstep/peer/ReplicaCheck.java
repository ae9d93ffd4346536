package dev.lockstep.peer;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Compares the peer's replica with the source, table by table: row count and a checksum, the sum of a 60-bit hash of
 * every row's columns in text form (order-independent; the replica's column types are the sink's choice, so each
 * column is cast to a form both sides print alike).
 */
final class ReplicaCheck {

    /** Per table, the row as text: numerics without trailing zeros, times as epoch seconds, NULL as \N. */
    private static final Map<String, String> ROWS = new LinkedHashMap<>();

    static {
        ROWS.put("customers", row("id::text", "name", "email", "city", "segment", epoch("created_at")));
        ROWS.put("categories", row("id::text", "name"));
        ROWS.put("products", row("id::text", "name", "sku", "category_id::text", "trim_scale(price::numeric)::text"));
        ROWS.put("orders", row("id::text", "customer_id::text", epoch("created_at"), "status::text"));
        ROWS.put("order_items", row("id::text", "order_id::text", "product_id::text", "quantity::text",
                "trim_scale(unit_price::numeric)::text", "trim_scale(discount_pct::numeric)::text"));
    }

    /** One table's figures on both sides. */
    record Table(String table, long sourceRows, long replicaRows, String sourceSum, String replicaSum) {

        boolean equal() {
            return sourceRows == replicaRows && sourceSum.equals(replicaSum);
        }
    }

    private ReplicaCheck() {}

    /** Prints one line per table and returns true when every table is equal on both sides. */
    static boolean check(Connection source, Connection replica) throws SQLException {
        boolean equal = true;
        for (Map.Entry<String, String> table : ROWS.entrySet()) {
            String sql = "SELECT count(*), coalesce(sum(('x' || substr(md5(" + table.getValue() + "), 1, 15))::bit(60)"
                    + "::bigint), 0)::text FROM " + table.getKey();
            long[] rows = new long[2];
            String[] sums = new String[2];
            Connection[] sides = {source, replica};
            for (int i = 0; i < 2; i++) {
                try (Statement s = sides[i].createStatement(); ResultSet rs = s.executeQuery(sql)) {
                    rs.next();
                    rows[i] = rs.getLong(1);
                    sums[i] = rs.getString(2);
                }
            }
            Table t = new Table(table.getKey(), rows[0], rows[1], sums[0], sums[1]);
            equal &= t.equal();
            System.out.printf("  %-12s: source %,9d rows, checksum %-20s | replica %,9d rows, checksum %-20s %s%n",
                    t.table(), t.sourceRows(), t.sourceSum(), t.replicaRows(), t.replicaSum(), t.equal() ? "equal"
                            : "DIFFERENT");
        }
        return equal;
    }

    private static String row(String... columns) {
        StringBuilder row = new StringBuilder("concat_ws('|'");
        for (String column : columns) {
            row.append(", coalesce(").append(column).append(", '\\N')");
        }
        return row.append(')').toString();
    }

    private static String epoch(String column) {
        return "extract(epoch FROM " + column + ")::text";
    }
}
