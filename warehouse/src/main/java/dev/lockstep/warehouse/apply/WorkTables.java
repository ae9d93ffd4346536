package dev.lockstep.warehouse.apply;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Empties the applier's work tables (staging, and the star loader's temporary tables; they keep their rows past a
 * commit) before a transaction that wrote them commits, so no row of one transaction is seen by the next. Emptying is
 * a {@code DELETE} of the tables written (a few microseconds a row); after a transaction of
 * {@value #TRUNCATE_FROM_ROWS} staged rows or more, and every {@value #TRUNCATE_EVERY}th time, a {@code TRUNCATE} of
 * all of them instead gives the space of the deleted rows back (the planner sizes these tables, which have no
 * statistics, by their pages) — and, as it rebuilds their indexes, has the statements reading them planned again.
 */
final class WorkTables {

    /** Staged rows from which the work tables are truncated instead of deleted from. */
    private static final int TRUNCATE_FROM_ROWS = 1_000;
    /** Every how many emptyings the work tables are truncated anyway. */
    private static final int TRUNCATE_EVERY = 100;
    /** How many emptying statements (one per set of work tables filled) are kept prepared. */
    private static final int EMPTYING_STATEMENTS = 32;

    private final Connection connection;
    /** The statements emptying the work tables, by SQL. */
    private final Map<String, PreparedStatement> emptying = new HashMap<>();
    private int emptiedSinceTruncate;

    WorkTables(Connection connection) {
        this.connection = connection;
    }

    /**
     * Empties, in the open transaction, the work tables {@code filled} (of {@code all}, asked for only when they are
     * truncated) that received {@code stagedRows} staged rows; does nothing when none was filled.
     */
    void empty(List<String> filled, Supplier<List<String>> all, long stagedRows) throws SQLException {
        if (filled.isEmpty()) {
            return;
        }
        boolean truncate = stagedRows >= TRUNCATE_FROM_ROWS || ++emptiedSinceTruncate >= TRUNCATE_EVERY;
        String sql = truncate ? "TRUNCATE " + String.join(", ", all.get())
                : filled.stream().map(t -> "DELETE FROM " + t).collect(Collectors.joining("; "));
        PreparedStatement empty = emptying.get(sql);
        if (empty == null) {
            if (emptying.size() >= EMPTYING_STATEMENTS) { // one per set of tables a batch fills: a few in practice
                for (PreparedStatement statement : emptying.values()) {
                    statement.close();
                }
                emptying.clear();
            }
            empty = connection.prepareStatement(sql);
            emptying.put(sql, empty);
        }
        empty.execute();
        if (truncate) {
            emptiedSinceTruncate = 0;
        }
    }
}
