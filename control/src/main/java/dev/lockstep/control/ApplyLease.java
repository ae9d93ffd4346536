package dev.lockstep.control;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The one-writer guarantee: a session advisory lock per pipeline, held by the applier's connection for its life. A
 * second applier of the pipeline on the same warehouse waits a little (a holder that just died may keep the lock
 * until its backend exits), then is refused. The lock's key is written here only.
 */
public final class ApplyLease {

    /** How long acquiring waits for another applier of the pipeline to let go. */
    private static final Duration LOCK_WAIT = Duration.ofSeconds(15);

    /** The lock of a pipeline (parameter: its name); in the control schema's namespace of advisory locks. */
    private static final String KEY = "hashtext('lockstep.apply'), hashtext(?)";

    private ApplyLease() {}

    /** Takes the lease of {@code pipeline} on {@code connection} (not in auto-commit); commits. */
    public static void acquire(Connection connection, String pipeline) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("SET LOCAL lock_timeout = '" + LOCK_WAIT.toMillis() + "ms'");
        }
        try (PreparedStatement lock = connection.prepareStatement(
                "SELECT pg_advisory_lock(" + KEY + ")")) {
            lock.setString(1, pipeline);
            lock.execute();
        } catch (SQLException e) {
            if ("55P03".equals(e.getSQLState())) {
                throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "another apply of pipeline " + pipeline
                        + " is running on this warehouse (waited " + LOCK_WAIT.toSeconds() + " s for it); only one "
                        + "may write it");
            }
            throw e;
        }
        connection.commit(); // the advisory lock is the session's; lock_timeout goes back to its default
    }

    /**
     * Tells whether no applier of {@code pipeline} holds the lease right now (on an auto-commit {@code connection};
     * the answer may be stale the moment it is returned).
     */
    public static boolean isFree(Connection connection, String pipeline) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_try_advisory_lock(" + KEY + "), "
                + "pg_advisory_unlock_all()")) {
            ps.setString(1, pipeline);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }
}
