package dev.lockstep.warehouse.apply;

import dev.lockstep.core.stream.TopicNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The applier's own writes to the quarantine ledger outside the star loader's rules: records the stream could not
 * decode (in the batch's transaction), and the requests of {@code lockstep quarantine replay}
 * ({@code lockstep.quarantine_replays}) it serves at a control point.
 */
final class QuarantineLedger {

    /** A record of the changes topic that could not be decoded, and why. */
    record Undecodable(long offset, byte[] value, String reason) {}

    /** An open ledger row a replay request selected. */
    record OpenRow(long quarantineId, boolean undecodable, byte[] rawRecord, long kafkaOffset) {}

    /** A pending replay request and the open ledger rows it selects, locked. */
    record Request(long id, List<OpenRow> rows) {}

    private final Connection connection;
    private final String pipeline;
    private final int definitionVersion;

    QuarantineLedger(Connection connection, String pipeline, int definitionVersion) {
        this.connection = connection;
        this.pipeline = pipeline;
        this.definitionVersion = definitionVersion;
    }

    /** Inserts {@code records} as open ledger rows of cause {@code undecodable}, in the open transaction. */
    void quarantine(List<Undecodable> records) throws SQLException {
        if (records.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO lockstep.quarantine (pipeline, cause, "
                + "definition_version, reason, raw_record, kafka_topic, kafka_partition, kafka_offset) "
                + "VALUES (?, 'undecodable', ?, ?, ?, ?, 0, ?)")) {
            for (Undecodable record : records) {
                ps.setString(1, pipeline);
                ps.setInt(2, definitionVersion);
                ps.setString(3, record.reason());
                ps.setBytes(4, record.value());
                ps.setString(5, TopicNames.changes(pipeline));
                ps.setLong(6, record.offset());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * Locks the oldest pending replay request and the open rows it selects (by ids, target and rule, each optional);
     * empty, with the transaction committed, when none is pending.
     */
    Optional<Request> nextRequest() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT replay_id, quarantine_ids, target, rule "
                + "FROM lockstep.quarantine_replays WHERE pipeline = ? AND done_at IS NULL ORDER BY replay_id "
                + "LIMIT 1 FOR UPDATE SKIP LOCKED")) {
            ps.setString(1, pipeline);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    connection.commit();
                    return Optional.empty();
                }
                List<OpenRow> rows = new ArrayList<>();
                try (PreparedStatement open = connection.prepareStatement("SELECT quarantine_id, cause, raw_record, "
                        + "kafka_offset FROM lockstep.quarantine WHERE pipeline = ? AND status = 'open' AND "
                        + "(?::bigint[] IS NULL OR quarantine_id = ANY(?)) AND (?::text IS NULL OR target = ?) "
                        + "AND (?::text IS NULL OR rule = ?) ORDER BY quarantine_id FOR UPDATE")) {
                    open.setString(1, pipeline);
                    open.setArray(2, rs.getArray(2));
                    open.setArray(3, rs.getArray(2));
                    open.setString(4, rs.getString(3));
                    open.setString(5, rs.getString(3));
                    open.setString(6, rs.getString(4));
                    open.setString(7, rs.getString(4));
                    try (ResultSet q = open.executeQuery()) {
                        while (q.next()) {
                            boolean undecodable = "undecodable".equals(q.getString(2));
                            rows.add(new OpenRow(q.getLong(1), undecodable, undecodable ? q.getBytes(3) : null,
                                    q.getLong(4)));
                        }
                    }
                }
                return Optional.of(new Request(rs.getLong(1), rows));
            }
        }
    }

    /** Marks the undecodable ledger row {@code quarantineId} replayed: it decoded and its change is staged. */
    void markReplayed(long quarantineId) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("UPDATE lockstep.quarantine SET status = 'replayed', "
                + "resolved_at = now(), relayed_at = NULL WHERE quarantine_id = ?")) {
            ps.setLong(1, quarantineId);
            ps.executeUpdate();
        }
    }

    /** Records what serving request {@code id} did, in the open transaction. */
    void done(long id, int loaded, int diverted, int superseded, int undecodable) throws SQLException {
        try (PreparedStatement done = connection.prepareStatement("UPDATE lockstep.quarantine_replays SET "
                + "done_at = now(), loaded = ?, diverted = ?, superseded = ?, undecodable = ? WHERE replay_id = ?")) {
            done.setInt(1, loaded);
            done.setInt(2, diverted);
            done.setInt(3, superseded);
            done.setInt(4, undecodable);
            done.setLong(5, id);
            done.executeUpdate();
        }
    }

    /**
     * Marks every pending request done with {@code cause}'s message, in the open transaction, so that a restarted
     * applier does not retry them.
     */
    void failPending(Exception cause) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("UPDATE lockstep.quarantine_replays SET "
                + "done_at = now(), loaded = 0, diverted = 0, superseded = 0, undecodable = 0, message = ? "
                + "WHERE pipeline = ? AND done_at IS NULL")) {
            ps.setString(1, cause.getMessage());
            ps.setString(2, pipeline);
            ps.executeUpdate();
        }
    }
}
