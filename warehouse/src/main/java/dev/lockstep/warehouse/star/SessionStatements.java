package dev.lockstep.warehouse.star;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The loader's statements on its session: each prepared once and kept (PostgreSQL plans it once too, see the
 * applier's {@code plan_cache_mode}), and several sent in one round trip.
 */
final class SessionStatements {

    /** What one statement of a {@link #send} returned: an update count, or the rows of a query (as text). */
    record Outcome(int updated, List<String[]> rows) {}

    private final Connection connection;
    private final Map<String, PreparedStatement> prepared = new HashMap<>();

    SessionStatements(Connection connection) {
        this.connection = connection;
    }

    /** Returns {@code sql} prepared on the session, the first time only. */
    PreparedStatement statement(String sql) throws SQLException {
        PreparedStatement statement = prepared.get(sql);
        if (statement == null) {
            statement = connection.prepareStatement(sql);
            prepared.put(sql, statement);
        }
        return statement;
    }

    /** Runs a prepared statement that takes no parameters and returns its update count. */
    int execute(String sql) throws SQLException {
        return statement(sql).executeUpdate();
    }

    /**
     * Runs {@code statements} in one round trip — one prepared statement holding them all, parsed once and kept —
     * and returns what each returned, in order; {@code parameters} fill their placeholders in order. The statements
     * of a step need nothing from each other's answers, only the loader's bookkeeping after them (a batch touching
     * a fact and two dimensions made ~45 round trips, one per statement; now ten).
     */
    List<Outcome> send(List<String> statements, Object... parameters) throws SQLException {
        PreparedStatement statement = statement(String.join(";\n", statements));
        for (int i = 0; i < parameters.length; i++) {
            statement.setObject(i + 1, parameters[i]);
        }
        List<Outcome> outcomes = new ArrayList<>(statements.size());
        boolean rows = statement.execute();
        while (true) {
            if (rows) {
                try (ResultSet rs = statement.getResultSet()) {
                    int columns = rs.getMetaData().getColumnCount();
                    List<String[]> read = new ArrayList<>();
                    while (rs.next()) {
                        String[] row = new String[columns];
                        for (int c = 0; c < columns; c++) {
                            row[c] = rs.getString(c + 1);
                        }
                        read.add(row);
                    }
                    outcomes.add(new Outcome(-1, read));
                }
            } else if (statement.getUpdateCount() >= 0) {
                outcomes.add(new Outcome(statement.getUpdateCount(), List.of()));
            } else {
                break;
            }
            rows = statement.getMoreResults();
        }
        if (outcomes.size() != statements.size()) {
            throw new IllegalStateException("expected " + statements.size() + " results, got " + outcomes.size());
        }
        return outcomes;
    }
}
