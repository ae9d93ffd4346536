package dev.lockstep.connectors;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PostgresConnection;
import dev.lockstep.core.definition.live.ReplicaIdentity;
import dev.lockstep.core.definition.live.SourceCatalog;
import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The source PostgreSQL's catalog, read over one read-only connection: relations, columns and their types,
 * primary keys, replica identity, {@code wal_level}. Used by {@code lockstep validate --connect}; not thread-safe.
 */
public final class PostgresSourceCatalog implements SourceCatalog {

    private static final String RELATION = """
            SELECT c.oid, c.relkind, c.relreplident
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ? AND c.relname = ?""";
    private static final String COLUMNS = """
            SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), t.typtype, t.typcategory, a.attnotnull,
                   CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)
                        WHEN t.typcategory = 'A' AND e.typtype = 'e' THEN 'text[]'
                        ELSE pg_catalog.format_type(a.atttypid, a.atttypmod) END
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem
            WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum""";
    private static final String INDEX_COLUMNS = """
            SELECT a.attname
            FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE i.indrelid = ? AND (CASE WHEN ? THEN i.indisprimary ELSE i.indisreplident END)
            ORDER BY pg_catalog.array_position(i.indkey::int2[], a.attnum)""";

    private final Connection connection;
    private final String description;

    private PostgresSourceCatalog(Connection connection, String description) {
        this.connection = connection;
        this.description = description;
    }

    /** Connects to the source database; a failure is {@link ErrorCode#UNAVAILABLE}, naming the database, never the password. */
    public static PostgresSourceCatalog connect(PostgresConnection source) {
        Properties properties = new Properties();
        properties.setProperty("user", source.user());
        source.password().ifPresent(p -> properties.setProperty("password", p.reveal()));
        properties.setProperty("connectTimeout", "10");
        properties.setProperty("ApplicationName", "lockstep validate");
        try {
            Connection connection = DriverManager.getConnection(source.jdbcUrl(), properties);
            connection.setReadOnly(true);
            return new PostgresSourceCatalog(connection, source.describe());
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot connect to the source database "
                    + source.describe() + ": " + e.getMessage());
        }
    }

    @Override
    public Map<TableId, SourceTable> describe(Collection<TableId> tables) {
        Map<TableId, SourceTable> found = new LinkedHashMap<>();
        try {
            for (TableId id : tables) {
                describe(id).ifPresent(table -> found.put(id, table));
            }
        } catch (SQLException e) {
            throw failure("cannot read the source catalog", e);
        }
        return found;
    }

    private java.util.Optional<SourceTable> describe(TableId id) throws SQLException {
        long oid;
        char kind;
        char identity;
        try (PreparedStatement s = connection.prepareStatement(RELATION)) {
            s.setString(1, id.schema());
            s.setString(2, id.table());
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return java.util.Optional.empty();
                }
                oid = rs.getLong(1);
                kind = rs.getString(2).charAt(0);
                identity = rs.getString(3).charAt(0);
            }
        }
        List<String> primaryKey = indexColumns(oid, true);
        ReplicaIdentity replicaIdentity = switch (identity) {
            case 'i' -> new ReplicaIdentity(ReplicaIdentity.Mode.INDEX, indexColumns(oid, false));
            case 'f' -> new ReplicaIdentity(ReplicaIdentity.Mode.FULL, List.of());
            case 'n' -> new ReplicaIdentity(ReplicaIdentity.Mode.NOTHING, List.of());
            default -> new ReplicaIdentity(ReplicaIdentity.Mode.DEFAULT, primaryKey);
        };
        return java.util.Optional.of(new SourceTable(id, kind == 'r' || kind == 'p', kindName(kind), columns(oid),
                primaryKey, replicaIdentity));
    }

    private List<SourceColumn> columns(long oid) throws SQLException {
        List<SourceColumn> columns = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement(COLUMNS)) {
            s.setLong(1, oid);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    columns.add(new SourceColumn(rs.getString(1), rs.getString(2),
                            kindOf(rs.getString(3).charAt(0), rs.getString(4).charAt(0)), rs.getString(6),
                            rs.getBoolean(5)));
                }
            }
        }
        return columns;
    }

    private List<String> indexColumns(long oid, boolean primary) throws SQLException {
        List<String> names = new ArrayList<>();
        try (PreparedStatement s = connection.prepareStatement(INDEX_COLUMNS)) {
            s.setLong(1, oid);
            s.setBoolean(2, primary);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        return names;
    }

    private static SourceColumn.Kind kindOf(char typtype, char category) {
        return switch (typtype) {
            case 'e' -> SourceColumn.Kind.ENUM;
            case 'd' -> SourceColumn.Kind.DOMAIN;
            case 'c' -> SourceColumn.Kind.COMPOSITE;
            case 'r', 'm' -> SourceColumn.Kind.RANGE;
            case 'b' -> category == 'A' ? SourceColumn.Kind.ARRAY : SourceColumn.Kind.BASE;
            default -> SourceColumn.Kind.OTHER;
        };
    }

    private static String kindName(char relkind) {
        return switch (relkind) {
            case 'r' -> "table";
            case 'p' -> "partitioned table";
            case 'v' -> "view";
            case 'm' -> "materialized view";
            case 'f' -> "foreign table";
            case 'S' -> "sequence";
            default -> "relation of kind '" + relkind + "'";
        };
    }

    @Override
    public String walLevel() {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SHOW wal_level")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw failure("cannot read wal_level", e);
        }
    }

    @Override
    public String describeDatabase() {
        return description;
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            // Closing a read-only connection cannot lose anything.
        }
    }

    private LockstepException failure(String what, SQLException e) {
        return new LockstepException(ErrorCode.UNAVAILABLE, what + " of " + description + ": " + e.getMessage(), e);
    }
}
