package dev.lockstep.connectors;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.stream.StreamPosition;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The source as of a known WAL position: a temporary logical replication slot is created with an exported snapshot,
 * whose consistent point is the LSN every source transaction committed before is visible at and none after; the
 * snapshot is imported into a REPEATABLE READ transaction of {@code into}, then the slot goes (it was temporary, and
 * its connection closes). Creating the slot waits for the source transactions open at that moment to end, needs the
 * replication privilege the extract already has, and a free replication slot for the moment it exists.
 */
public final class ExportedSnapshot {

    private ExportedSnapshot() {}

    /** The prefix of the logical decoding message {@link #markAfter} commits; the extract passes it on. */
    public static final String MARK_PREFIX = "lockstep";

    /**
     * Commits, in the source of {@code settings}, a transaction holding only a logical decoding message (prefix
     * {@value #MARK_PREFIX}; no table is written): a transaction of the changes topic that committed after every
     * snapshot taken before this call, which a stream stopping at a snapshot's LSN is sure to meet. The source user
     * needs {@code EXECUTE} on {@code pg_logical_emit_message}.
     */
    public static void markAfter(ExtractSettings settings) {
        try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), settings.user(), settings.password());
                Statement s = c.createStatement()) {
            s.execute("SELECT pg_logical_emit_message(true, '" + MARK_PREFIX + "', 'reconcile')");
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot mark the source of pipeline "
                    + settings.pipeline() + " for an exact reconcile (pg_logical_emit_message; GRANT EXECUTE ON "
                    + "FUNCTION pg_logical_emit_message(boolean, text, text) to its user, or stop `run` to reconcile "
                    + "the warehouse as it stands): " + e.getMessage(), e);
        }
    }

    /**
     * Imports into {@code into} (not in auto-commit, no transaction started; it becomes REPEATABLE READ) a snapshot of
     * the source of {@code settings} and returns its LSN.
     */
    public static long importInto(ExtractSettings settings, Connection into) {
        requireNonNull(into, "into");
        Properties properties = new Properties();
        properties.setProperty("user", settings.user());
        properties.setProperty("password", settings.password());
        properties.setProperty("replication", "database");
        properties.setProperty("assumeMinServerVersion", "10");
        properties.setProperty("preferQueryMode", "simple");
        properties.setProperty("ApplicationName", "lockstep reconcile");
        String slot = "lockstep_reconcile_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
        try (Connection replication = DriverManager.getConnection(settings.jdbcUrl(), properties);
                Statement create = replication.createStatement();
                ResultSet rs = create.executeQuery("CREATE_REPLICATION_SLOT " + slot
                        + " TEMPORARY LOGICAL pgoutput EXPORT_SNAPSHOT")) {
            rs.next();
            long lsn = StreamPosition.parseLsn(rs.getString("consistent_point"));
            String snapshot = rs.getString("snapshot_name");
            // The snapshot is importable until the replication connection runs its next command: import it now.
            into.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (Statement s = into.createStatement()) {
                s.execute("SET TRANSACTION SNAPSHOT '" + snapshot.replace("'", "''") + "'");
            }
            return lsn;
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot take a snapshot of the source of pipeline "
                    + settings.pipeline() + " at a known position (a temporary replication slot with an exported "
                    + "snapshot; the user needs the REPLICATION privilege and a slot must be free): " + e.getMessage(),
                    e);
        }
    }
}
