package dev.lockstep.warehouse.raw;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.warehouse.RawLayerTypes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The raw layer's DDL: schema {@code <warehouse schema>_raw}, one current-state table per source table, with the
 * source's columns (types as {@link RawLayerTypes} maps them), the stream position of the image it holds
 * ({@code _position_lsn}, {@code _position_seq}), {@code _deleted} and {@code _loaded_at}. Produces SQL text; a
 * migration applies it.
 */
public final class RawLayerDdl {

    /** Columns every raw table has besides the source's. */
    public static final List<String> SYSTEM_COLUMNS = List.of("_position_lsn", "_position_seq", "_deleted",
            "_loaded_at", "_inserted_lsn", "_inserted_seq");

    private RawLayerDdl() {}

    /** Returns the raw layer's schema for a warehouse schema. */
    public static String schema(String warehouseSchema) {
        return warehouseSchema + "_raw";
    }

    /** Returns the raw table's name for a source table: its name, prefixed by its schema outside {@code public}. */
    public static String tableName(TableId source) {
        return source.schema().equals("public") ? source.table() : source.schema() + "__" + source.table();
    }

    /** Returns {@code "schema"."table"} of the raw table of {@code source}. */
    public static String qualified(String warehouseSchema, TableId source) {
        return quote(schema(warehouseSchema)) + "." + quote(tableName(source));
    }

    /** Returns the migration that creates the raw layer for {@code tables}; every table needs a primary key. */
    public static MigrationScript create(String warehouseSchema, Collection<SourceTable> tables, int version) {
        return create(warehouseSchema, tables, version, Map.of());
    }

    /**
     * Returns the migration that creates the raw layer for {@code tables}, with an index on each column of
     * {@code lookupColumns} (the columns the star schema's lookups join on); every table needs a primary key.
     */
    public static MigrationScript create(String warehouseSchema, Collection<SourceTable> tables, int version,
            Map<TableId, ? extends Collection<String>> lookupColumns) {
        List<SourceTable> sorted = new ArrayList<>(tables);
        sorted.sort(Comparator.comparing(t -> t.id().toString()));
        StringBuilder up = new StringBuilder();
        StringBuilder down = new StringBuilder();
        String schema = quote(schema(warehouseSchema));
        up.append("CREATE SCHEMA IF NOT EXISTS ").append(schema).append(";\n");
        up.append("COMMENT ON SCHEMA ").append(schema).append(" IS 'Lockstep raw layer: the current state of each "
                + "source table, as of the stream position in each row.';\n\n");
        for (SourceTable table : sorted) {
            if (table.primaryKey().isEmpty()) {
                throw new LockstepException(ErrorCode.INVALID_INPUT, "source table " + table.id()
                        + " has no primary key; the raw layer mirrors rows by key, so add one");
            }
            createTable(up, warehouseSchema, table);
            Collection<String> indexed = lookupColumns.containsKey(table.id()) ? lookupColumns.get(table.id()) : List.of();
            for (String column : indexed) {
                if (!table.primaryKey().equals(List.of(column))) {
                    up.append("-- Supports: re-deriving the rows whose looked-up row changed, WHERE ").append(quote(column))
                            .append(" = ?.\n");
                    up.append("CREATE INDEX ON ").append(qualified(warehouseSchema, table.id())).append(" (")
                            .append(quote(column)).append(");\n\n");
                }
            }
            down.append("DROP TABLE ").append(qualified(warehouseSchema, table.id())).append(";\n");
        }
        down.append("DROP SCHEMA ").append(schema).append(";\n");
        return new MigrationScript(version, "raw_layer", up.toString(), down.toString());
    }

    /**
     * Returns the statements that create the raw table of {@code table} (a deployment adds a source table); it needs
     * a primary key.
     */
    public static String createTable(String warehouseSchema, SourceTable table) {
        if (table.primaryKey().isEmpty()) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "source table " + table.id()
                    + " has no primary key; the raw layer mirrors rows by key, so add one");
        }
        StringBuilder up = new StringBuilder();
        createTable(up, warehouseSchema, table);
        return up.toString().strip();
    }

    private static void createTable(StringBuilder up, String warehouseSchema, SourceTable table) {
        String name = qualified(warehouseSchema, table.id());
        up.append("CREATE TABLE ").append(name).append(" (\n");
        for (SourceColumn column : table.columns()) {
            up.append("    ").append(quote(column.name())).append(' ').append(RawLayerTypes.of(column)).append(",\n");
        }
        up.append("    _position_lsn bigint NOT NULL,\n")
                .append("    _position_seq bigint NOT NULL,\n")
                .append("    _deleted boolean NOT NULL DEFAULT false,\n")
                .append("    _loaded_at timestamptz NOT NULL DEFAULT now(),\n")
                .append("    _inserted_lsn bigint NOT NULL DEFAULT 0,\n")
                .append("    _inserted_seq bigint NOT NULL DEFAULT 0,\n")
                .append("    -- Supports: the applier's merge by key, and lookups of a source row by its key.\n")
                .append("    PRIMARY KEY (").append(String.join(", ", table.primaryKey().stream()
                        .map(RawLayerDdl::quote).toList())).append(")\n);\n");
        up.append("COMMENT ON TABLE ").append(name).append(" IS ").append(literal("Current state of source table "
                + table.id() + ", one row per key; deleted rows stay with _deleted = true.")).append(";\n");
        for (SourceColumn column : table.columns()) {
            up.append("COMMENT ON COLUMN ").append(name).append('.').append(quote(column.name())).append(" IS ")
                    .append(literal("Source column " + column.name() + " (" + column.type() + ").")).append(";\n");
        }
        up.append("COMMENT ON COLUMN ").append(name).append("._position_lsn IS 'Commit LSN of the source "
                + "transaction whose image this row holds.';\n");
        up.append("COMMENT ON COLUMN ").append(name).append("._position_seq IS 'Sequence of that change in its "
                + "transaction; (_position_lsn, _position_seq) only ever grows for a key.';\n");
        up.append("COMMENT ON COLUMN ").append(name).append("._deleted IS 'True once the source row was "
                + "deleted; the columns keep the last known image.';\n");
        up.append("COMMENT ON COLUMN ").append(name).append("._loaded_at IS 'When the warehouse transaction that "
                + "wrote this image committed.';\n");
        up.append("COMMENT ON COLUMN ").append(name).append("._inserted_lsn IS 'Stream position (first half) of the "
                + "image that first brought this key into the raw layer; never updated: a key new to a batch has no "
                + "fact row yet.';\n");
        up.append("COMMENT ON COLUMN ").append(name).append("._inserted_seq IS 'Stream position (second half) of "
                + "that image.';\n\n");
    }

    /** Quotes an identifier for PostgreSQL (see {@link SqlIdentifiers#quote(String)}). */
    static String quote(String identifier) {
        return SqlIdentifiers.quote(identifier);
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }
}
