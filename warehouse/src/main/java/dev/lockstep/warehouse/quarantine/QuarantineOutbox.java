package dev.lockstep.warehouse.quarantine;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The quarantine ledger ({@code lockstep.quarantine}) as the outbox of {@code lockstep.<pipeline>.quarantine}: rows
 * written (or resolved) by committed transactions are handed to a publisher, oldest first, and marked relayed once it
 * returned — at-least-once. Each record carries a stable id: the ledger row's {@code event_id} for the diversion, and
 * {@code <event_id>/<status>} for its resolution, so consumers de-duplicate by id.
 */
public final class QuarantineOutbox {

    /** One ledger row as published: its stable id, the Kafka key (the row's event id) and the JSON document. */
    public record Record(String id, String key, String json) {
        public Record {
            requireNonNull(id, "id");
            requireNonNull(key, "key");
            requireNonNull(json, "json");
        }
    }

    /** Publishes records and returns once every one is acknowledged; throws to leave them pending. */
    @FunctionalInterface
    public interface Publisher {
        void publish(List<Record> records);
    }

    private final String pipeline;

    /** Returns the outbox of {@code pipeline}'s quarantine ledger. */
    public QuarantineOutbox(String pipeline) {
        this.pipeline = requireNonNull(pipeline, "pipeline");
    }

    /**
     * Hands up to {@code limit} rows not yet relayed to {@code publisher} and marks them relayed — unless their status
     * changed meanwhile, or the applier's open batch is changing them (then their new state goes out next time:
     * at-least-once). Never waits for a row lock, so it cannot deadlock with the applier. Returns how many were
     * published. Runs on an auto-commit connection or inside the caller's transaction.
     */
    public int relay(Connection connection, Publisher publisher, int limit) throws SQLException {
        List<Record> records = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        List<String> statuses = new ArrayList<>();
        // The document holds what the ledger holds: PII is already masked in conformed_row.
        try (PreparedStatement ps = connection.prepareStatement("SELECT quarantine_id, event_id::text, status, "
                + "jsonb_build_object('id', CASE WHEN status = 'open' THEN event_id::text ELSE event_id::text || '/' "
                + "|| status END, 'quarantine_id', quarantine_id, 'pipeline', pipeline, 'status', status, 'cause', cause, "
                + "'rule', rule, 'target', target, 'source_table', source_table, 'key', natural_key, "
                + "'position', CASE WHEN commit_lsn IS NULL THEN NULL ELSE jsonb_build_object('commit_lsn', commit_lsn, "
                + "'sequence', sequence) END, 'tx_id', tx_id, 'definition_version', definition_version, "
                + "'reason', reason, 'sql_state', sql_state, 'row', conformed_row, "
                + "'raw_record', encode(raw_record, 'base64'), 'kafka_offset', kafka_offset, "
                + "'created_at', created_at, 'resolved_at', resolved_at)::text "
                + "FROM lockstep.quarantine WHERE pipeline = ? AND relayed_at IS NULL ORDER BY quarantine_id LIMIT ?")) {
            ps.setString(1, pipeline);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                    statuses.add(rs.getString(3));
                    String status = rs.getString(3);
                    String id = "open".equals(status) ? rs.getString(2) : rs.getString(2) + "/" + status;
                    records.add(new Record(id, rs.getString(2), rs.getString(4)));
                }
            }
        }
        if (records.isEmpty()) {
            return 0;
        }
        publisher.publish(records);
        // SKIP LOCKED: a row the applier's open batch is changing is left for the next relay (its new state goes out
        // then); waiting for it could deadlock with the batch, which locks other ledger rows in its own order.
        try (PreparedStatement ps = connection.prepareStatement("UPDATE lockstep.quarantine q SET relayed_at = now() "
                + "FROM (SELECT r.quarantine_id FROM lockstep.quarantine r JOIN unnest(?::bigint[], ?::text[]) AS "
                + "p(id, status) ON r.quarantine_id = p.id WHERE r.status = p.status AND r.relayed_at IS NULL "
                + "FOR UPDATE OF r SKIP LOCKED) l WHERE q.quarantine_id = l.quarantine_id")) {
            ps.setArray(1, connection.createArrayOf("bigint", ids.toArray()));
            ps.setArray(2, connection.createArrayOf("text", statuses.toArray()));
            ps.executeUpdate();
        }
        return records.size();
    }
}
