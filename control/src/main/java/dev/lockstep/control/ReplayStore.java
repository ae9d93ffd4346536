package dev.lockstep.control;

import static java.util.Objects.requireNonNull;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * {@code lockstep.quarantine_replays}: the requests of {@code lockstep quarantine replay}. The CLI queues one and
 * waits for its outcome; the pipeline's applier takes the oldest pending one at a control point, serves it in its own
 * transaction and records what it did there.
 */
public final class ReplayStore {

    /**
     * A pending request: which open ledger rows it selects — by ids, target and rule, each absent when not given.
     * {@code ids} is the database array, handed back to {@link QuarantineStore#lockOpenRows} as it is.
     */
    public record Pending(long id, Optional<Array> ids, Optional<String> target, Optional<String> rule) {}

    /** What serving a request did; {@code failure} is set when it was rolled back. */
    public record Outcome(boolean done, int loaded, int diverted, int superseded, int undecodable,
            Optional<String> failure) {}

    private final Connection connection;
    private final String pipeline;

    /** Returns the requests of {@code pipeline}, read and written through {@code connection}. */
    public ReplayStore(Connection connection, String pipeline) {
        this.connection = requireNonNull(connection, "connection");
        this.pipeline = requireNonNull(pipeline, "pipeline");
    }

    /** Queues a request for the open rows {@code ids} (all when empty), of {@code target} and {@code rule} when set. */
    public long request(List<Long> ids, Optional<String> target, Optional<String> rule) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO lockstep.quarantine_replays (pipeline, "
                + "quarantine_ids, target, rule) VALUES (?, ?, ?, ?) RETURNING replay_id")) {
            ps.setString(1, pipeline);
            ps.setArray(2, ids.isEmpty() ? null : connection.createArrayOf("bigint", ids.toArray()));
            ps.setString(3, target.orElse(null));
            ps.setString(4, rule.orElse(null));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Returns the outcome of request {@code id} ({@code done} false while it is pending). */
    public Outcome outcome(long id) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT done_at IS NOT NULL, loaded, diverted, "
                + "superseded, undecodable, message FROM lockstep.quarantine_replays WHERE replay_id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("no replay request " + id);
                }
                return new Outcome(rs.getBoolean(1), rs.getInt(2), rs.getInt(3), rs.getInt(4), rs.getInt(5),
                        Optional.ofNullable(rs.getString(6)));
            }
        }
    }

    /**
     * Locks the oldest pending request in the open transaction; empty, with the transaction committed, when none is
     * pending. Another applier's locked request is skipped, never waited for.
     */
    public Optional<Pending> lockNext() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT replay_id, quarantine_ids, target, rule "
                + "FROM lockstep.quarantine_replays WHERE pipeline = ? AND done_at IS NULL ORDER BY replay_id "
                + "LIMIT 1 FOR UPDATE SKIP LOCKED")) {
            ps.setString(1, pipeline);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    connection.commit();
                    return Optional.empty();
                }
                return Optional.of(new Pending(rs.getLong(1), Optional.ofNullable(rs.getArray(2)),
                        Optional.ofNullable(rs.getString(3)), Optional.ofNullable(rs.getString(4))));
            }
        }
    }

    /** Records what serving request {@code id} did, in the open transaction. */
    public void done(long id, int loaded, int diverted, int superseded, int undecodable) throws SQLException {
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
     * Marks every pending request done with {@code message}, in the open transaction, so that a restarted applier does
     * not retry them.
     */
    public void failPending(String message) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("UPDATE lockstep.quarantine_replays SET "
                + "done_at = now(), loaded = 0, diverted = 0, superseded = 0, undecodable = 0, message = ? "
                + "WHERE pipeline = ? AND done_at IS NULL")) {
            ps.setString(1, message);
            ps.setString(2, pipeline);
            ps.executeUpdate();
        }
    }
}
