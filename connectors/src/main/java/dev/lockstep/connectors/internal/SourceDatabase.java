package dev.lockstep.connectors.internal;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.core.stream.TableId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * The extract's own statements against the source database: its helper tables (heartbeat, signals), catalog
 * fingerprints, the replication slot's state, undeploy. Opens a short-lived connection per call; none of these
 * run on the hot path.
 */
public final class SourceDatabase {

    /** Schema of the extract's helper tables in the source database. */
    public static final String SCHEMA = "lockstep";
    public static final TableId HEARTBEAT = new TableId(SCHEMA, "heartbeat");
    public static final TableId SIGNAL = new TableId(SCHEMA, "signal");

    private final ExtractSettings settings;

    public SourceDatabase(ExtractSettings settings) {
        this.settings = settings;
    }

    /** Creates the heartbeat and signal tables unless they exist. */
    public void ensureHelperTables() {
        run(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
                s.execute("CREATE TABLE IF NOT EXISTS " + HEARTBEAT + " (pipeline text PRIMARY KEY, "
                        + "beat_at timestamptz NOT NULL)");
                s.execute("CREATE TABLE IF NOT EXISTS " + SIGNAL + " (id varchar(64) PRIMARY KEY, "
                        + "type varchar(32) NOT NULL, data text)");
            }
            return null;
        });
    }

    /** The heartbeat's action query: a change in a published table, so a quiet source still advances the slot. */
    public String heartbeatQuery() {
        return "INSERT INTO " + HEARTBEAT + " (pipeline, beat_at) VALUES ('" + settings.pipeline().replace("'", "''")
                + "', now()) ON CONFLICT (pipeline) DO UPDATE SET beat_at = excluded.beat_at";
    }

    /**
     * Returns a fingerprint of each table's columns (names, types with modifiers, order) as the catalog has them
     * now; a table that does not exist maps to {@code "missing"}.
     */
    public Map<TableId, String> catalogFingerprints() {
        return run(c -> {
            Map<TableId, String> out = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT string_agg(a.attname || ' ' "
                    + "|| format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) "
                    + "FROM pg_attribute a WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped")) {
                for (TableId table : settings.tables()) {
                    ps.setString(1, SqlIdentifiers.quote(table));
                    try (ResultSet rs = ps.executeQuery()) {
                        String columns = rs.next() ? rs.getString(1) : null;
                        out.put(table, columns == null ? "missing" : sha256(columns));
                    }
                }
            }
            return out;
        });
    }

    /** Returns true when a server process is streaming from the replication slot now. */
    public boolean slotActive() {
        return run(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, settings.slotName());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() && rs.getBoolean(1);
                }
            }
        });
    }

    /** Returns true when the replication slot exists. */
    public boolean slotExists() {
        return run(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, settings.slotName());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next();
                }
            }
        });
    }

    /**
     * Counts the row changes of {@code table} that the slot holds and the extract has not confirmed yet (peeked,
     * not consumed). The slot must not be in use.
     */
    public long pendingRowChanges(TableId table) {
        return run(c -> {
            try (Statement limit = c.createStatement()) {
                limit.execute("SET statement_timeout = '300s'"); // peeking decodes every pending change
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_logical_slot_peek_binary_changes("
                    + "?, NULL, NULL, 'proto_version', '1', 'publication_names', ?) "
                    + "WHERE get_byte(data, 0) IN (73, 85, 68) "   // 'I', 'U', 'D'
                    + "AND ((get_byte(data, 1)::bigint << 24) | (get_byte(data, 2) << 16) "
                    + "| (get_byte(data, 3) << 8) | get_byte(data, 4)) = to_regclass(?)::oid")) {
                ps.setString(1, settings.slotName());
                ps.setString(2, settings.publicationName());
                ps.setString(3, SqlIdentifiers.quote(table));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    /**
     * Ends the server process still holding the slot, if any, and returns its pid. After a crash PostgreSQL
     * keeps the dead extract's walsender (and the slot) until {@code wal_sender_timeout}; call this only once
     * the previous extract has been fenced.
     */
    public OptionalLong releaseSlot() {
        return run(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT active_pid, pg_terminate_backend(active_pid) "
                    + "FROM pg_replication_slots WHERE slot_name = ? AND active_pid IS NOT NULL")) {
                ps.setString(1, settings.slotName());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() && rs.getBoolean(2) ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
                }
            }
        });
    }

    /** Returns the WAL the slot keeps from being recycled, in bytes; empty when the slot does not exist. */
    public OptionalLong walRetainedBytes() {
        return run(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)"
                    + "::bigint FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, settings.slotName());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
                }
            }
        });
    }

    /**
     * Returns the source's WAL position now, and the slot's confirmed flush position and whether a stream holds it
     * ({@code -1} and false without a slot): {@code {current, confirmed, active ? 1 : 0}}.
     */
    public long[] walPositions() {
        return run(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn, "
                    + "(SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM pg_replication_slots WHERE slot_name = ?), "
                    + "(SELECT active FROM pg_replication_slots WHERE slot_name = ?)")) {
                ps.setString(1, settings.slotName());
                ps.setString(2, settings.slotName());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    long confirmed = rs.getLong(2);
                    return new long[] {rs.getLong(1), rs.wasNull() ? -1 : confirmed, rs.getBoolean(3) ? 1 : 0};
                }
            }
        });
    }

    /** Runs the heartbeat's action query once: a transaction the running extract streams past, confirming the slot. */
    public void beat() {
        run(c -> {
            try (Statement s = c.createStatement()) {
                s.execute(heartbeatQuery());
            }
            return null;
        });
    }

    /** Asks the running extract (through Debezium's signal table) to snapshot {@code table} again, incrementally. */
    public String requestSnapshot(TableId table) {
        String id = UUID.randomUUID().toString();
        run(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + SIGNAL + " (id, type, data) VALUES (?, "
                    + "'execute-snapshot', ?)")) {
                ps.setString(1, id);
                ps.setString(2, "{\"data-collections\": [\"" + table + "\"], \"type\": \"incremental\"}");
                ps.executeUpdate();
            }
            return null;
        });
        return id;
    }

    /** Drops the replication slot and the publication; a no-op for what does not exist. */
    public void dropSlotAndPublication() {
        run(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) "
                    + "FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, settings.slotName());
                ps.execute();
            }
            try (Statement s = c.createStatement()) {
                s.execute("DROP PUBLICATION IF EXISTS \"" + settings.publicationName() + "\"");
                s.execute("DELETE FROM " + HEARTBEAT + " WHERE pipeline = '" + settings.pipeline().replace("'", "''")
                        + "'");
            } catch (SQLException e) {
                if (!"42P01".equals(e.getSQLState())) { // the heartbeat table never existed
                    throw e;
                }
            }
            return null;
        });
    }

    private static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @FunctionalInterface
    private interface SqlWork<T> {
        T apply(Connection connection) throws SQLException;
    }

    private <T> T run(SqlWork<T> work) {
        try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), settings.user(), settings.password())) {
            return work.apply(c);
        } catch (SQLException e) {
            ErrorCode code = e.getSQLState() != null && e.getSQLState().startsWith("28")
                    ? ErrorCode.INVALID_INPUT : ErrorCode.UNAVAILABLE;
            throw new LockstepException(code, "source database " + settings.user() + "@" + settings.host() + ":"
                    + settings.port() + "/" + settings.database() + ": " + e.getMessage(), e);
        }
    }
}
