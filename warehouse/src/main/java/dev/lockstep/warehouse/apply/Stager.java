package dev.lockstep.warehouse.apply;

import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.warehouse.raw.CopyText;
import dev.lockstep.warehouse.raw.RawLayerDdl;
import dev.lockstep.warehouse.raw.RawMerge;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.postgresql.PGConnection;

/**
 * Step 1 of the apply transaction: gathers a batch's row images per source table as COPY text and COPYs it into the
 * table's staging table — a session temporary table shaped like the raw table, plus the unchanged TOASTed columns,
 * the source commit time, whether the image is a snapshot read, and whether it changes the columns other tables
 * look up ({@link RawMerge#LOOKUP_CHANGED}). Staging tables keep their rows past a commit; the
 * applier empties those {@link #drainFilled() filled} before committing. Not thread-safe.
 */
final class Stager {

    /** What one batch holds for one table: COPY text, and the latest TRUNCATE's position. */
    static final class Staged {
        final StringBuilder copy = new StringBuilder();
        int rows;
        StreamPosition truncatedAt;
        long truncatedCommitMicros;
    }

    /** A batch's COPY text for one table is sent to staging once it reaches this size. */
    private static final int COPY_CHUNK_CHARS = 4 << 20;

    private final Connection connection;
    private final String warehouseSchema;
    private final Map<TableId, SourceTable> tables;
    private final Map<TableId, Staged> staged = new LinkedHashMap<>();
    private final Map<Schema, int[]> fieldPositions = new IdentityHashMap<>();
    private final Map<TableId, String> names = new HashMap<>();
    private final Map<TableId, String> copies = new HashMap<>();
    /** Staging tables written since {@link #drainFilled()}, and the rows COPYed into them. */
    private final Set<String> filled = new TreeSet<>();
    private long rowsCopied;
    private int rows;

    Stager(Connection connection, String warehouseSchema, Map<TableId, SourceTable> tables) {
        this.connection = connection;
        this.warehouseSchema = warehouseSchema;
        this.tables = Map.copyOf(tables);
    }

    /**
     * Appends {@code image} of {@code table} (the change's row after, or before for a delete) at {@code position};
     * returns true when the table's text should be {@link #copyIn copied} now, a large transaction streaming into
     * staging instead of growing in memory.
     */
    boolean stage(TableId table, GenericRecord image, StreamPosition position, boolean delete, long commitMicros,
            boolean streamed, List<?> unchanged) {
        SourceTable source = tables.get(table);
        int[] positions = fieldPositions.computeIfAbsent(image.getSchema(), s -> positions(s, source));
        Staged s = staged(table);
        StringBuilder line = s.copy;
        List<Schema.Field> fields = image.getSchema().getFields();
        for (int i = 0; i < positions.length; i++) {
            if (i > 0) {
                line.append('\t');
            }
            int p = positions[i];
            CopyText.append(line, p < 0 ? null : fields.get(p).schema(), p < 0 ? null : image.get(p));
        }
        line.append('\t').append(position.commitLsn()).append('\t').append(position.sequence())
                .append('\t').append(delete ? 't' : 'f').append('\t');
        CopyText.appendTimestampMicros(line, commitMicros);
        line.append('\t').append(streamed ? 'f' : 't').append('\t');
        StringBuilder array = new StringBuilder("{");
        for (Object column : unchanged) {
            if (array.length() > 1) {
                array.append(',');
            }
            array.append('"').append(column.toString().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        CopyText.appendText(line, array.append('}').toString());
        line.append('\n');
        s.rows++;
        rows++;
        return line.length() >= COPY_CHUNK_CHARS;
    }

    /** Records a source TRUNCATE of {@code table} at {@code at}, unless the batch holds a later one. */
    void truncate(TableId table, StreamPosition at, long commitMicros, boolean onlyIfLater) {
        Staged s = staged(table);
        if (!onlyIfLater || s.truncatedAt == null || at.isAfter(s.truncatedAt)) {
            s.truncatedAt = at;
            s.truncatedCommitMicros = commitMicros;
        }
    }

    private Staged staged(TableId table) {
        return staged.computeIfAbsent(table, t -> new Staged());
    }

    /** Returns what the batch gathered, by table, in the order first staged. */
    Map<TableId, Staged> staged() {
        return staged;
    }

    /** Returns true when nothing is gathered. */
    boolean isEmpty() {
        return staged.isEmpty();
    }

    /** Returns the changes gathered. */
    int rows() {
        return rows;
    }

    /** Returns the source tables the batch staged changes of. */
    Set<TableId> tablesWithRows() {
        return staged.entrySet().stream().filter(e -> e.getValue().rows > 0).map(Map.Entry::getKey)
                .collect(Collectors.toSet());
    }

    /** Forgets what the batch gathered (its staging rows are emptied at commit, or rolled back). */
    void clear() {
        staged.clear();
        rows = 0;
    }

    /** COPYs what {@code s} gathered so far into {@code table}'s staging table; returns that table's name. */
    String copyIn(TableId table, Staged s) throws SQLException {
        String stage = stagingTable(table);
        if (s.copy.length() == 0) {
            return stage;
        }
        String copy = copies.computeIfAbsent(table, t -> "COPY " + stage + " (" + tables.get(t).columns().stream()
                .map(c -> SqlIdentifiers.quote(c.name())).collect(Collectors.joining(", ")) + ", _position_lsn, "
                + "_position_seq, _deleted, _commit_ts, _snapshot, _unchanged) FROM STDIN");
        try {
            filled.add(stage);
            rowsCopied += connection.unwrap(PGConnection.class).getCopyAPI().copyIn(copy,
                    new StringReader(s.copy.toString()));
        } catch (IOException e) {
            throw new SQLException("COPY into staging failed: " + e.getMessage(), e);
        }
        s.copy.setLength(0);
        return stage;
    }

    /**
     * Returns the staging table of {@code table}, creating it the first time, with an index for the merge's lookups
     * of a key's earlier images in the batch.
     */
    String stagingTable(TableId table) throws SQLException {
        String existing = names.get(table);
        if (existing != null) {
            return existing;
        }
        String stage = "lockstep_stage_" + (names.size() + 1);
        try (Statement st = connection.createStatement()) {
            st.execute("CREATE TEMP TABLE IF NOT EXISTS " + stage + " (LIKE " + RawLayerDdl.qualified(warehouseSchema,
                    table) + " INCLUDING DEFAULTS) ON COMMIT PRESERVE ROWS");
            st.execute("ALTER TABLE " + stage + " ADD COLUMN IF NOT EXISTS _unchanged text[], ADD COLUMN IF NOT EXISTS "
                    + "_commit_ts timestamptz, ADD COLUMN IF NOT EXISTS _snapshot boolean, ADD COLUMN IF NOT EXISTS "
                    + RawMerge.LOOKUP_CHANGED + " boolean");
            st.execute("CREATE INDEX ON " + stage + " (" + String.join(", ", tables.get(table).primaryKey().stream()
                    .map(SqlIdentifiers::quote).toList()) + ", _position_lsn, _position_seq)");
        }
        names.put(table, stage);
        return stage;
    }

    /** Creates every table's staging table; returns their names by source table. */
    Map<TableId, String> createAll() throws SQLException {
        for (TableId table : tables.keySet()) {
            stagingTable(table);
        }
        return Map.copyOf(names);
    }

    /** Returns every staging table created, sorted. */
    List<String> allTables() {
        return new ArrayList<>(new TreeSet<>(names.values()));
    }

    /** Returns the staging tables written since the last call, with the rows COPYed, and starts counting again. */
    Filled drainFilled() {
        Filled result = new Filled(List.copyOf(filled), rowsCopied);
        filled.clear();
        rowsCopied = 0;
        return result;
    }

    /** Staging tables written by a transaction and the rows COPYed into them. */
    record Filled(List<String> tables, long rows) {}

    /** For each source column, the position of its field in the Avro row, or -1 when the row does not have it. */
    private static int[] positions(Schema row, SourceTable source) {
        Map<String, Integer> byColumn = new HashMap<>();
        for (Schema.Field field : row.getFields()) {
            String column = Optional.ofNullable(field.getProp(ChangeSchemas.COLUMN)).orElse(field.name());
            byColumn.put(column, field.pos());
        }
        return source.columns().stream().mapToInt(c -> byColumn.getOrDefault(c.name(), -1)).toArray();
    }
}
