package dev.lockstep.control;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.stream.StreamPosition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * One pipeline's rows in {@code lockstep.reconcile_barriers}: a reconcile's request for a warehouse snapshot at an
 * exact stream position, which the running applier serves at its control point. Every statement on the table is
 * written here; each method works in the caller's connection (auto-commit, or its transaction).
 */
public final class BarrierStore {

    /** The channel a new or changed request is announced on, so the applier looks without polling the table. */
    public static final String CHANNEL = "lockstep_reconcile";

    /** A request as the applier sees it: its id and the barrier LSN. */
    public record Request(long id, long barrierLsn) {}

    /** A request as reconcile sees it. */
    public record Served(String state, Optional<String> snapshot, Optional<StreamPosition> applied) {
        public Served {
            requireNonNull(state, "state");
            requireNonNull(snapshot, "snapshot");
            requireNonNull(applied, "applied");
        }
    }

    private final Connection connection;
    private final String pipeline;

    public BarrierStore(Connection connection, String pipeline) {
        this.connection = requireNonNull(connection, "connection");
        this.pipeline = requireNonNull(pipeline, "pipeline");
    }

    /** Asks for a warehouse snapshot at {@code barrierLsn}; returns the request's id. Announces it. */
    public long request(long barrierLsn) throws SQLException {
        long id;
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO lockstep.reconcile_barriers "
                + "(pipeline, barrier_lsn) VALUES (?, ?) RETURNING barrier_id")) {
            insert.setString(1, pipeline);
            insert.setLong(2, barrierLsn);
            try (ResultSet rs = insert.executeQuery()) {
                rs.next();
                id = rs.getLong(1);
            }
        }
        announce();
        return id;
    }

    /** Returns how request {@code id} stands. */
    public Served served(long id) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT state, snapshot_name, applied_lsn, "
                + "applied_sequence FROM lockstep.reconcile_barriers WHERE barrier_id = ?")) {
            select.setLong(1, id);
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                long lsn = rs.getLong(3);
                Optional<StreamPosition> applied = rs.wasNull() ? Optional.empty()
                        : Optional.of(StreamPosition.of(lsn, rs.getLong(4)));
                return new Served(rs.getString(1), Optional.ofNullable(rs.getString(2)), applied);
            }
        }
    }

    /** Marks request {@code id} released: its snapshot was imported, or reconcile gave up. */
    public void release(long id) throws SQLException {
        setState(id, "released");
    }

    /** Returns the oldest open request of the pipeline, if any (the applier's look). */
    public Optional<Request> pending() throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT barrier_id, barrier_lsn FROM "
                + "lockstep.reconcile_barriers WHERE pipeline = ? AND state = 'requested' ORDER BY barrier_id "
                + "LIMIT 1")) {
            select.setString(1, pipeline);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Request(rs.getLong(1), rs.getLong(2)));
            }
        }
    }

    /** Tells whether request {@code id} is still held (not released by reconcile). */
    public boolean held(long id) throws SQLException {
        return "held".equals(served(id).state());
    }

    /** Records that the applier was past the barrier of request {@code id} when it saw it. */
    public void missed(long id) throws SQLException {
        setState(id, "missed");
    }

    /** Records the snapshot the applier exported at the barrier of request {@code id}, at position {@code applied}. */
    public void held(long id, String snapshot, StreamPosition applied) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE lockstep.reconcile_barriers SET state = "
                + "'held', snapshot_name = ?, applied_lsn = ?, applied_sequence = ?, updated_at = now() "
                + "WHERE barrier_id = ?")) {
            update.setString(1, snapshot);
            update.setLong(2, applied.commitLsn());
            update.setLong(3, applied.sequence());
            update.setLong(4, id);
            update.executeUpdate();
        }
    }

    /** Listens, on this connection, for requests being announced. */
    public void listen() throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("LISTEN " + CHANNEL);
        }
    }

    private void setState(long id, String state) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE lockstep.reconcile_barriers SET state = ?, "
                + "updated_at = now() WHERE barrier_id = ?")) {
            update.setString(1, state);
            update.setLong(2, id);
            update.executeUpdate();
        }
    }

    private void announce() throws SQLException {
        try (PreparedStatement notify = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
            notify.setString(1, CHANNEL);
            notify.setString(2, pipeline);
            notify.execute();
        }
    }
}
