package dev.lockstep.warehouse.star;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The backfill of a deployment's new dimension or fact from the raw layer, chunk by chunk in key order: a chunk
 * records the source rows of a key range as the target's events — each at its raw position, with the time the raw
 * layer loaded it as its change time (an SCD 2 reference resolves to the version valid then) — and the applier's
 * loader conforms, checks and loads them as it would a batch's. A deleted source row deletes its target row, if there
 * is one (a backfill started again after batches that did not load the target), and adds none.
 */
final class TargetBackfill {

    private TargetBackfill() {}

    /**
     * Returns the last key of {@code target}'s source table in the raw layer now (empty: none): the backfill covers
     * the keys up to it; the stream's batches load the rows added after it began.
     */
    static Optional<List<String>> end(Connection connection, TargetSql target) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(target.lastRawKey())) {
            return rs.next() ? Optional.of(key(rs, target, 1)) : Optional.empty();
        }
    }

    /**
     * Records as {@code target}'s events the next {@code rows} source rows after key {@code after} (from the
     * first when empty) up to {@code upTo}; returns how many and the last key recorded (empty: none was left).
     */
    static ColumnRebuild.Chunk record(SessionStatements session, TargetSql target, Optional<List<String>> after,
            List<String> upTo, int rows) throws SQLException {
        PreparedStatement chunk = session.statement(target.backfill(after.isPresent()));
        int i = 0;
        for (String part : upTo) {
            chunk.setString(++i, part);
        }
        for (String part : after.orElse(List.of())) {
            chunk.setString(++i, part);
        }
        chunk.setInt(++i, rows);
        try (ResultSet rs = chunk.executeQuery()) {
            return rs.next() ? new ColumnRebuild.Chunk(rs.getLong(1), Optional.of(key(rs, target, 2)))
                    : new ColumnRebuild.Chunk(0, Optional.empty());
        }
    }

    private static List<String> key(ResultSet rs, TargetSql target, int first) throws SQLException {
        List<String> key = new ArrayList<>();
        for (int k = 0; k < target.key.size(); k++) {
            key.add(rs.getString(first + k));
        }
        return key;
    }
}
