package dev.lockstep.warehouse.star;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Whether the applier's session checks the facts' foreign keys row by row, or may skip what it already did. */
final class ForeignKeyChecks {

    private static final Logger LOG = LoggerFactory.getLogger(ForeignKeyChecks.class);

    private ForeignKeyChecks() {}

    /**
     * Turns off, for this session, the per-row checks of the facts' foreign keys, when the role may: the session
     * runs as a replica ({@code session_replication_role}, as PostgreSQL's own logical replication apply does), so
     * triggers that are not {@code ENABLE ALWAYS} do not fire. Every key this applier writes into a fact was looked
     * up in the same transaction (an inferred member is inserted first; a removed member's facts are re-pointed to
     * the unknown member before it goes), so the check — a query and a row lock per key, about half of inserting a
     * fact row — only repeats what the statement did. The constraints stay declared and enforced for any other
     * writer; the control schema's guard triggers are {@code ENABLE ALWAYS}. Returns false, leaving the checks on
     * (and saying so), when the role may not set it (neither a superuser nor granted {@code SET ON PARAMETER
     * session_replication_role}).
     */
    static boolean skip(Connection connection, String pipeline) throws SQLException {
        try (Statement s = connection.createStatement();
                ResultSet rs = s.executeQuery("SELECT has_parameter_privilege('session_replication_role', 'SET')")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                LOG.info("Pipeline {}: the warehouse checks the facts' foreign keys row by row (about half the cost "
                        + "of loading a fact row); GRANT SET ON PARAMETER session_replication_role to the warehouse "
                        + "user to skip the checks: every key the applier writes is looked up first", pipeline);
                return false;
            }
            s.execute("SET session_replication_role = replica");
            return true;
        }
    }
}
