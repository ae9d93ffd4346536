package dev.lockstep.warehouse.star;

import static dev.lockstep.warehouse.PlannerSwitches.JOINS_ANY;
import static dev.lockstep.warehouse.PlannerSwitches.JOINS_BY_HASH;
import static dev.lockstep.warehouse.PlannerSwitches.JOINS_BY_PROBE;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * A target's touch: its events recorded, its touched keys numbered and conformed in one round trip under a savepoint
 * — or, after an expression failed on a row of the batch, done again a statement at a time: the conform is bisected
 * down to the keys whose expressions fail, which go to the ledger with PostgreSQL's error; the other keys conform
 * and load.
 */
final class StepwiseTouch {

    /** SQLSTATE classes of errors that belong to one row's values (data, constraint, raised by a function). */
    private static final Set<String> ROW_ERROR_CLASSES = Set.of("22", "23", "P0", "2F", "38", "39", "44");

    /** What the touch did: keys touched, ledger rows superseded, rows conformed and rows quarantined. */
    record Tally(int touched, long superseded, long conformed, long quarantined) {}

    private final Connection connection;
    private final SessionStatements session;
    private final String pipeline;
    private final int definitionVersion;
    private long conformed;
    private long quarantined;

    StepwiseTouch(Connection connection, SessionStatements session, String pipeline, int definitionVersion) {
        this.connection = connection;
        this.session = session;
        this.pipeline = pipeline;
        this.definitionVersion = definitionVersion;
    }

    /** Returns true for an error that belongs to one row's values rather than to the statement or the session. */
    static boolean isRowError(SQLException e) {
        String state = e.getSQLState();
        return state != null && state.length() == 5 && ROW_ERROR_CLASSES.contains(state.substring(0, 2));
    }

    /**
     * Records {@code target}'s events ({@code record}; {@code replayed} keys were recorded already), numbers the
     * touched keys and conforms them in one round trip under a savepoint; when an expression fails on a row, rolls
     * it back and does it again a statement at a time ({@link #touch}).
     */
    Tally touchAtOnce(TargetSql target, List<String> record, int replayed) throws SQLException {
        List<String> statements = new ArrayList<>();
        statements.add("SAVEPOINT lockstep_touch");
        statements.addAll(record);
        // Superseding probes the ledger's open-key index; left free, the planner (stale ledger statistics) scanned
        // the ledger for the target's first open row: 2.7 ms per batch in e2e's latency phase.
        statements.add(JOINS_BY_PROBE);
        int supersede = statements.size();
        statements.add(target.supersede());
        statements.add(JOINS_ANY);
        int number = statements.size();
        statements.add(target.numberTouched());
        statements.add(JOINS_BY_HASH);
        int conform = statements.size();
        statements.add(target.conform());
        statements.add(JOINS_ANY);
        statements.add("RELEASE SAVEPOINT lockstep_touch");
        List<SessionStatements.Outcome> outcomes;
        try {
            outcomes = session.send(statements, pipeline, pipeline, 1, Integer.MAX_VALUE);
        } catch (SQLException e) {
            if (!isRowError(e)) {
                throw e;
            }
            try (Statement rollback = connection.createStatement()) {
                rollback.execute("ROLLBACK TO SAVEPOINT lockstep_touch");
            } catch (SQLException failed) {
                e.addSuppressed(failed);
                throw e;
            }
            return touch(target, record, replayed);
        }
        return new Tally(outcomes.get(number).updated(), outcomes.get(supersede).updated(),
                outcomes.get(conform).updated(), 0);
    }

    /**
     * Records {@code target}'s events ({@code record}; {@code replayed} keys were recorded already), numbers the
     * touched keys and conforms them, one statement at a time.
     */
    Tally touch(TargetSql target, List<String> record, int replayed) throws SQLException {
        conformed = 0;
        quarantined = 0;
        int events = replayed;
        for (String sql : record) {
            PreparedStatement statement = session.statement(sql);
            if (!statement.execute()) {
                events += statement.getUpdateCount();
            }
        }
        if (events == 0) {
            return new Tally(0, 0, 0, 0);
        }
        PreparedStatement supersede = session.statement(target.supersede());
        supersede.setString(1, pipeline);
        supersede.setString(2, pipeline);
        session.statement(JOINS_BY_PROBE).execute();
        long superseded = supersede.executeUpdate();
        session.statement(JOINS_ANY).execute();
        int touched = session.execute(target.numberTouched());
        session.statement(JOINS_BY_HASH).execute();
        conform(target, 1, touched);
        session.statement(JOINS_ANY).execute();
        return new Tally(touched, superseded, conformed, quarantined);
    }

    /** Conforms touched keys {@code from..to}; a run-time error splits the range until the failing key is alone. */
    private void conform(TargetSql target, int from, int to) throws SQLException {
        PreparedStatement conform = session.statement(target.conform());
        Savepoint savepoint = connection.setSavepoint();
        try {
            conform.setInt(1, from);
            conform.setInt(2, to);
            conformed += conform.executeUpdate();
            connection.releaseSavepoint(savepoint);
        } catch (SQLException e) {
            connection.rollback(savepoint);
            if (!isRowError(e)) {
                throw e;
            }
            if (from == to) {
                quarantine(target, from, e);
            } else {
                int middle = from + (to - from) / 2;
                conform(target, from, middle);
                conform(target, middle + 1, to);
            }
        }
    }

    private void quarantine(TargetSql target, int rn, SQLException e) throws SQLException {
        ServerErrorMessage server = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
        PreparedStatement quarantine = session.statement(target.quarantine());
        quarantine.setString(1, pipeline);
        quarantine.setInt(2, definitionVersion);
        quarantine.setString(3, server != null && server.getMessage() != null ? server.getMessage() : e.getMessage());
        quarantine.setString(4, e.getSQLState());
        quarantine.setInt(5, rn);
        quarantined += quarantine.executeUpdate();
    }
}
