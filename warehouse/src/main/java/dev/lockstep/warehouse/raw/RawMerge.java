package dev.lockstep.warehouse.raw;

import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.warehouse.PlannerSwitches;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.postgresql.PGStatement;

/**
 * Step 2 of the apply transaction: merges a batch's staged images of a source table into its raw table, the
 * current-state mirror — the last image of each key, unless the stored row is at a newer position; an unchanged
 * TOASTed value takes the batch's latest earlier image that had it, else keeps the stored value. Also applies a
 * source {@code TRUNCATE} (rows older than it marked deleted) and, for a batch that may re-read changes the raw
 * layer already reflects, drops those from staging first. Statements are prepared once per table and kept with the
 * connection; not thread-safe.
 */
public final class RawMerge {

    /**
     * The staging column saying whether an image changes what other tables look up: {@code false} when the stored row
     * was live and the image leaves every looked-up column as it was, else null (set before the merge, for the tables
     * other tables look up). The rows looking such a row up are re-derived only for images where it is not false.
     */
    public static final String LOOKUP_CHANGED = "_lookup_changed";

    private final Connection connection;
    private final String warehouseSchema;
    private final Map<TableId, SourceTable> tables;
    private final Map<TableId, Set<String>> lookedUp = new HashMap<>();
    private final Map<TableId, PreparedStatement> merges = new HashMap<>();
    private final Map<TableId, PreparedStatement> replayGuards = new HashMap<>();

    /**
     * Merges into the raw tables of {@code tables} in {@code warehouseSchema}, on {@code connection}; for the tables
     * in {@code lookedUp}, first marks the staged images that leave those columns as they were
     * ({@link #LOOKUP_CHANGED}).
     */
    public RawMerge(Connection connection, String warehouseSchema, Map<TableId, SourceTable> tables,
            Map<TableId, Set<String>> lookedUp) {
        this.connection = connection;
        this.warehouseSchema = warehouseSchema;
        this.tables = Map.copyOf(tables);
        lookUpAlso(lookedUp);
    }

    /**
     * Treats the columns {@code more} names as looked up too (a deployment's next version looks them up, and its
     * shadow columns and new facts must see their changes): the merges are prepared again.
     */
    public void lookUpAlso(Map<TableId, Set<String>> more) {
        boolean changed = false;
        for (Map.Entry<TableId, Set<String>> table : more.entrySet()) {
            changed |= lookedUp.computeIfAbsent(table.getKey(), t -> new java.util.TreeSet<>())
                    .addAll(table.getValue());
        }
        if (changed) {
            for (PreparedStatement merge : merges.values()) {
                try {
                    merge.close();
                } catch (SQLException e) {
                    // closing a statement prepared on a live connection; the next merge prepares another
                }
            }
            merges.clear();
        }
    }

    /** Marks deleted the rows of {@code table}'s raw table older than a source {@code TRUNCATE} at {@code at}. */
    public void truncate(TableId table, StreamPosition at) throws SQLException {
        try (Statement st = connection.createStatement()) {
            st.execute("UPDATE " + raw(table) + " SET _deleted = true, _position_lsn = " + at.commitLsn()
                    + ", _position_seq = " + at.sequence() + ", _loaded_at = now() WHERE NOT _deleted "
                    + "AND (_position_lsn, _position_seq) < (" + at.commitLsn() + ", " + at.sequence() + ")");
        }
    }

    /**
     * The replay guard: deletes from {@code stage} the images the raw layer already reflects (re-read after a rewound
     * offset), so neither the merge nor the transforms see them again.
     */
    public void dropReplayed(TableId table, String stage) throws SQLException {
        PreparedStatement guard = replayGuards.get(table);
        if (guard == null) {
            // Parsed once by the driver, planned by the server each time: its join is left to the planner (a plan
            // kept from a large batch could hash the whole raw table for every later small one).
            guard = connection.prepareStatement("DELETE FROM " + stage + " s USING " + raw(table) + " r WHERE "
                    + String.join(" AND ", tables.get(table).primaryKey().stream().map(RawLayerDdl::quote)
                    .map(k -> "r." + k + " = s." + k).toList()) + " AND (s._position_lsn, s._position_seq) <= "
                    + "(r._position_lsn, r._position_seq)");
            guard.unwrap(PGStatement.class).setPrepareThreshold(0);
            replayGuards.put(table, guard);
        }
        guard.execute();
    }

    /**
     * Merges {@code stage} into {@code table}'s raw table; with {@code truncatedAt}, only the images after that
     * source {@code TRUNCATE}.
     */
    public void merge(TableId table, String stage, StreamPosition truncatedAt) throws SQLException {
        if (truncatedAt != null) {
            try (Statement st = connection.createStatement()) {
                // Rare: the position is in the text. The rows before it are deleted already: every image counts as
                // a change of what is looked up.
                st.execute(mergeSql(tables.get(table), raw(table), stage, truncatedAt));
            }
            return;
        }
        PreparedStatement merge = merges.get(table);
        if (merge == null) {
            // Each staged key probes the raw table's primary key, whatever the estimates: the staging table's pages
            // (the planner's only clue) hold deleted rows of earlier batches, and a merge join read the raw table's
            // whole key index for a batch of 14 customers (4.5 ms median in e2e's latency phase). With its shape
            // fixed, the server may keep its plan from batch to batch (planning took ~1 ms a batch), so it is a
            // server-side prepared statement.
            merge = connection.prepareStatement(PlannerSwitches.JOINS_BY_PROBE + "; " + markUnchanged(table, stage)
                    + mergeSql(tables.get(table), raw(table), stage, null) + "; " + PlannerSwitches.JOINS_ANY);
            merges.put(table, merge);
        }
        merge.execute();
    }

    /**
     * Returns the statement (with its {@code ;}) marking {@code LOOKUP_CHANGED = false} the images of {@code table} in
     * {@code stage} that leave its looked-up columns as the stored, live row has them (a TOASTed column the source
     * did not send is unchanged); empty for a table nothing looks up by known columns. Run before the merge.
     */
    private String markUnchanged(TableId table, String stage) {
        Set<String> columns = lookedUp.get(table);
        if (columns == null) {
            return "";
        }
        StringBuilder same = new StringBuilder();
        for (String column : columns) {
            String c = RawLayerDdl.quote(column);
            same.append(" AND (s.").append(c).append(" IS NOT DISTINCT FROM r.").append(c).append(" OR '")
                    .append(column.replace("'", "''")).append("' = ANY(coalesce(s._unchanged, '{}')))");
        }
        return "UPDATE " + stage + " s SET " + LOOKUP_CHANGED + " = false FROM " + raw(table) + " r WHERE "
                + String.join(" AND ", tables.get(table).primaryKey().stream().map(RawLayerDdl::quote)
                .map(k -> "r." + k + " = s." + k).toList()) + " AND NOT s._deleted AND NOT r._deleted" + same + "; ";
    }

    private String raw(TableId table) {
        return RawLayerDdl.qualified(warehouseSchema, table);
    }

    /**
     * The merge: for each key the batch's last image, newer than the stored row; an unchanged TOASTed column takes
     * the latest earlier image of the batch that had it, else keeps the stored value.
     */
    private static String mergeSql(SourceTable source, String raw, String stage, StreamPosition truncatedAt) {
        List<String> keys = source.primaryKey().stream().map(RawLayerDdl::quote).toList();
        StringBuilder using = new StringBuilder("SELECT DISTINCT ON (").append(String.join(", ", keys))
                .append(") s.*");
        List<String> updates = new ArrayList<>();
        List<String> inserts = new ArrayList<>();
        for (SourceColumn column : source.columns()) {
            String c = RawLayerDdl.quote(column.name());
            if (source.primaryKey().contains(column.name())) {
                inserts.add("s." + c);
                continue;
            }
            String literal = "'" + column.name().replace("'", "''") + "'";
            String earlier = "FROM " + stage + " p WHERE " + String.join(" AND ", keys.stream()
                    .map(k -> "p." + k + " = s." + k).toList()) + " AND NOT p._deleted AND (p._position_lsn, "
                    + "p._position_seq) < (s._position_lsn, s._position_seq) AND NOT (" + literal
                    + " = ANY(coalesce(p._unchanged, '{}')))";
            String alias = "\"" + column.name().replace("\"", "\"\"") + "__earlier\"";
            String known = "\"" + column.name().replace("\"", "\"\"") + "__known\"";
            using.append(", CASE WHEN ").append(literal).append(" = ANY(coalesce(s._unchanged, '{}')) THEN (SELECT p.")
                    .append(c).append(' ').append(earlier).append(" ORDER BY p._position_lsn DESC, p._position_seq "
                    + "DESC LIMIT 1) END AS ").append(alias);
            using.append(", CASE WHEN ").append(literal).append(" = ANY(coalesce(s._unchanged, '{}')) THEN EXISTS (SELECT 1 ")
                    .append(earlier).append(") END AS ").append(known);
            // A delete keeps the last image: the batch's latest earlier image of the key, else the stored row.
            String lastImage = "FROM " + stage + " p WHERE " + String.join(" AND ", keys.stream()
                    .map(k -> "p." + k + " = s." + k).toList()) + " AND NOT p._deleted AND (p._position_lsn, "
                    + "p._position_seq) < (s._position_lsn, s._position_seq)";
            String beforeDelete = "\"" + column.name().replace("\"", "\"\"") + "__before_delete\"";
            using.append(", CASE WHEN s._deleted THEN (SELECT p.").append(c).append(' ').append(lastImage)
                    .append(" ORDER BY p._position_lsn DESC, p._position_seq DESC LIMIT 1) END AS ").append(beforeDelete);
            using.append(", s._deleted AND EXISTS (SELECT 1 ").append(lastImage).append(") AS \"")
                    .append(column.name().replace("\"", "\"\"")).append("__had_image\"");
            String hadImage = "s.\"" + column.name().replace("\"", "\"\"") + "__had_image\"";
            updates.add(c + " = CASE WHEN " + hadImage + " THEN s." + beforeDelete + " WHEN s._deleted THEN r." + c
                    + " WHEN s." + known + " THEN s." + alias + " WHEN s." + known + " IS NOT NULL THEN r." + c
                    + " ELSE s." + c + " END");
            inserts.add("CASE WHEN " + hadImage + " THEN s." + beforeDelete + " WHEN s." + known + " THEN s." + alias
                    + " ELSE s." + c + " END");
        }
        using.append(" FROM ").append(stage).append(" s");
        if (truncatedAt != null) {
            using.append(" WHERE (s._position_lsn, s._position_seq) > (").append(truncatedAt.commitLsn()).append(", ")
                    .append(truncatedAt.sequence()).append(')');
        }
        using.append(" ORDER BY ").append(String.join(", ", keys)).append(", s._position_lsn DESC, s._position_seq DESC");
        updates.add("_position_lsn = s._position_lsn");
        updates.add("_position_seq = s._position_seq");
        updates.add("_deleted = s._deleted");
        updates.add("_loaded_at = now()");
        List<String> all = source.columns().stream().map(c -> RawLayerDdl.quote(c.name())).toList();
        return "MERGE INTO " + raw + " AS r USING (" + using + ") AS s ON "
                + String.join(" AND ", keys.stream().map(k -> "r." + k + " = s." + k).toList())
                + " WHEN MATCHED AND (r._position_lsn, r._position_seq) < (s._position_lsn, s._position_seq) THEN "
                + "UPDATE SET " + String.join(", ", updates)
                + " WHEN NOT MATCHED THEN INSERT (" + String.join(", ", all) + ", _position_lsn, _position_seq, "
                + "_deleted, _inserted_lsn, _inserted_seq) VALUES (" + String.join(", ", inserts) + ", s._position_lsn, "
                + "s._position_seq, s._deleted, s._position_lsn, s._position_seq)";
    }
}
