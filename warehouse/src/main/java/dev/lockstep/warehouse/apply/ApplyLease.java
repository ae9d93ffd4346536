package dev.lockstep.warehouse.apply;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The one-writer guarantee: a session advisory lock per pipeline, held by the applier's connection for its life. A
 * second applier of the pipeline on the same warehouse waits a little (a holder that just died may keep the lock
 * until its backend exits), then is refused.
 */
final class ApplyLease {

    /** How long acquiring waits for another applier of the pipeline to let go. */
    private static final Duration LOCK_WAIT = Duration.ofSeconds(15);

    private ApplyLease() {}

    /** Takes the lease of {@code pipeline} on {@code connection} (not in auto-commit); commits. */
    static void acquire(Connection connection, String pipeline) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute("SET LOCAL lock_timeout = '" + LOCK_WAIT.toMillis() + "ms'");
        }
        try (PreparedStatement lock = connection.prepareStatement(
                "SELECT pg_advisory_lock(hashtext('lockstep.apply'), hashtext(?))")) {
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
}
