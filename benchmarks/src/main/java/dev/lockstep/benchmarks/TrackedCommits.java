package dev.lockstep.benchmarks;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A source connection that notes, for each commit, a WAL position that tells when the warehouse reflects it: the
 * WAL insert position read inside the transaction just before it commits ({@link #lastLsn()}), and the client's
 * clock when the commit returned ({@link #lastCommitNanos()}).
 *
 * <p>Why that position is exact: the transaction's commit record is written after it, so its commit LSN (which
 * the warehouse's {@code lockstep.offsets.commit_lsn} holds once applied) is above it; every earlier transaction of
 * this connection committed before the transaction's own changes were written, so their commit LSNs are below it.
 * With one writer in the source database, the warehouse's applied commit LSN reaches the position exactly when
 * this transaction (or a later one, applied in commit order after it) is applied. The extract's heartbeat
 * transactions are never applied, so they cannot reach it. A transaction that changed no row writes no commit
 * record: its position is only reached by the next one, so callers skip it.
 *
 * <p>Not thread-safe, like the connection.
 */
public final class TrackedCommits {

    private final Connection connection;
    private final Connection tracked;
    private PreparedStatement insertLsn;
    private long lastLsn;
    private long lastCommitNanos;

    /** Tracks the commits made through {@link #connection()} on {@code connection}. */
    public TrackedCommits(Connection connection) {
        this.connection = connection;
        this.tracked = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    boolean commit = method.getName().equals("commit") && method.getParameterCount() == 0;
                    if (commit) {
                        lastLsn = insertLsn();
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    } finally {
                        if (commit) {
                            lastCommitNanos = System.nanoTime();
                        }
                    }
                });
    }

    /** Returns the connection to hand the workload: every {@code commit()} on it is tracked. */
    public Connection connection() {
        return tracked;
    }

    /** Returns the WAL insert position read just before the last commit. */
    public long lastLsn() {
        return lastLsn;
    }

    /** Returns {@link System#nanoTime()} when the last commit returned. */
    public long lastCommitNanos() {
        return lastCommitNanos;
    }

    private long insertLsn() throws SQLException {
        if (insertLsn == null) {
            insertLsn = connection.prepareStatement("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint");
        }
        try (ResultSet rs = insertLsn.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
