package dev.lockstep.control;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.core.stream.TopicNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code lockstep.quarantine}: the append-only ledger of rows that failed a rule, failed to load at run time, or could
 * not be decoded. An open row is resolved once (replayed, superseded by a newer change of its key, or discarded); rows
 * written or resolved by committed transactions are relayed to {@code lockstep.<pipeline>.quarantine}
 * ({@link #relay}).
 *
 * <p>The apply stage writes the ledger set-based, inside statements that also touch the warehouse's work tables:
 * those statements are built here ({@link #insertSql}, {@link #supersedeOlderThanSql}, {@link #replaySql}, ...) from
 * the warehouse's fragments, so that every statement on the table is written in this class. A row's key is held as
 * a JSON object of its key columns ({@link #naturalKeySql}). PII is masked by the writer before it reaches the ledger.
 */
public final class QuarantineStore {

    /** A record of the changes topic that could not be decoded, and why. */
    public record Undecodable(long offset, byte[] value, String reason) {}

    /** An open ledger row a replay request selected. */
    public record OpenRow(long quarantineId, boolean undecodable, byte[] rawRecord, long kafkaOffset) {}

    /** A ledger row as {@code lockstep quarantine list} shows it. */
    public record Listed(long id, Instant createdAt, String status, String cause, Optional<String> rule,
            Optional<String> target, Optional<String> naturalKey, String reason) {}

    /** How many ledger rows of a target (or source table) and rule (or cause) are in each status. */
    public record Count(String target, String rule, long open, long replayed, long superseded, long discarded) {}

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

    /**
     * The SQL expressions of a ledger row written by {@link #insertSql}, evaluated per row of its source; {@code null}
     * for a column left empty. {@code cause} is {@code rule} or {@code runtime_error}.
     */
    public record RowSql(String cause, String rule, String target, String sourceTable, String naturalKey,
            String commitLsn, String sequence, String reason, String sqlState, String conformedRow) {}

    /** Appended to an {@link #insertSql} statement: it returns each written row's key as JSON text. */
    public static final String RETURNING_KEYS = " RETURNING natural_key::text";

    private final Connection connection;
    private final String pipeline;

    /** Returns {@code pipeline}'s ledger, read and written through {@code connection}. */
    public QuarantineStore(Connection connection, String pipeline) {
        this.connection = requireNonNull(connection, "connection");
        this.pipeline = requireNonNull(pipeline, "pipeline");
    }

    // ---- statements the apply stage builds into its own -------------------------------------------------------

    /**
     * Returns {@code INSERT INTO lockstep.quarantine ... SELECT <row> FROM <from>}. Parameters: pipeline, definition
     * version, then those of {@code row}'s expressions and of {@code from}, in that order.
     */
    public static String insertSql(RowSql row, String from) {
        return "INSERT INTO lockstep.quarantine (pipeline, cause, rule, target, source_table, natural_key, commit_lsn, "
                + "sequence, definition_version, reason, sql_state, conformed_row) SELECT ?, " + literal(row.cause())
                + ", " + orNull(row.rule()) + ", " + orNull(row.target()) + ", " + orNull(row.sourceTable()) + ", "
                + row.naturalKey() + ", " + row.commitLsn() + ", " + row.sequence() + ", ?, " + row.reason() + ", "
                + orNull(row.sqlState()) + ", " + orNull(row.conformedRow()) + " FROM " + from;
    }

    /**
     * Returns the statement that marks superseded the open rows of {@code target} older than their key's newest
     * change in {@code newest} (alias {@code e}, columns {@code _lsn, _seq}; {@code keyOfNewest} its key as
     * {@link #naturalKeySql} builds it). Parameters: pipeline, pipeline.
     */
    public static String supersedeOlderThanSql(String target, String newest, String keyOfNewest) {
        // The plan is fixed, whatever the ledger's size or statistics: one probe of the open-key index per key of
        // the batch (LATERAL ... OFFSET 0 keeps the probe per key), then the rows found by primary key. A join
        // planned from stale ledger statistics once compared every open row with every key of the batch. When the
        // target has no open row at all — the common case — one probe of that index ends it (a one-time filter):
        // the per-key probes cost ~1 ms per batch of ~100 keys (measured in e2e's latency phase).
        return "UPDATE lockstep.quarantine q SET status = 'superseded', resolved_at = now(), relayed_at = NULL "
                + "WHERE EXISTS (SELECT 1 FROM lockstep.quarantine x WHERE x.pipeline = ? AND x.target = "
                + literal(target) + " AND x.status = 'open') AND q.status = 'open' AND q.quarantine_id = ANY (ARRAY("
                + "SELECT o.quarantine_id FROM " + newest + " e CROSS JOIN LATERAL (SELECT w.quarantine_id FROM "
                + "lockstep.quarantine w WHERE w.pipeline = ? AND w.target = " + literal(target) + " AND w.status = "
                + "'open' AND w.natural_key = " + keyOfNewest + " AND (w.commit_lsn, w.sequence) < (e._lsn, e._seq) "
                + "OFFSET 0) o))";
    }

    /**
     * Returns the statement that marks superseded those of the open rows {@code ?} (ids) of {@code target} whose key
     * {@code raw} (alias {@code r}; {@code keyMatch} joins it to the ledger's {@code q}, see {@link #keyFieldSql})
     * holds at a newer position. Parameter: ids.
     */
    public static String supersedeReplayedSql(String target, String raw, String keyMatch) {
        return "UPDATE lockstep.quarantine q SET status = 'superseded', resolved_at = now(), relayed_at = NULL FROM "
                + raw + " r WHERE q.quarantine_id = ANY(?) AND q.target = " + literal(target)
                + " AND q.status = 'open' AND " + keyMatch + " AND (r._position_lsn, r._position_seq) "
                + "> (q.commit_lsn, q.sequence)";
    }

    /**
     * Returns the statement that marks replayed the open rows {@code ?} (ids) of {@code target} and inserts into
     * {@code events} the rows of {@code raw} (alias {@code r}) they name, selected as {@code columns} (which may use
     * the ledger row's {@code q.created_at}); {@code keyMatch} joins {@code r} to {@code q}. Parameter: ids.
     */
    public static String replaySql(String target, String events, String columns, String raw, String keyMatch) {
        return "WITH replayed AS (UPDATE lockstep.quarantine q SET status = 'replayed', resolved_at = now(), "
                + "relayed_at = NULL WHERE q.quarantine_id = ANY(?) AND q.target = " + literal(target)
                + " AND q.status = 'open' RETURNING q.natural_key, q.created_at) INSERT INTO " + events + " SELECT "
                + columns + " FROM replayed q JOIN " + raw + " r ON " + keyMatch;
    }

    /**
     * Masks column {@code column} — a column that became personal data — in the conformed rows of every ledger row of
     * target {@code target} of this pipeline, in the connection's transaction: each value but NULL becomes
     * {@code ***}, the one rewrite of a ledger row the guard allows. Returns how many rows it masked.
     */
    public int mask(String target, String column) throws SQLException {
        try (PreparedStatement mask = connection.prepareStatement("UPDATE lockstep.quarantine SET conformed_row = "
                + "conformed_row || jsonb_build_object(?::text, '***') WHERE pipeline = ? AND target = ? AND "
                + "jsonb_typeof(conformed_row -> ?::text) <> 'null' AND conformed_row -> ?::text <> '\"***\"'")) {
            mask.setString(1, column);
            mask.setString(2, pipeline);
            mask.setString(3, target);
            mask.setString(4, column);
            mask.setString(5, column);
            return mask.executeUpdate();
        }
    }

    /** Returns the relation of {@code target}'s open rows, the newest of each key: {@code natural_key, conformed_row}. */
    public static String openRowsSql(String pipeline, String target) {
        return "(SELECT DISTINCT ON (natural_key) natural_key, conformed_row FROM lockstep.quarantine WHERE "
                + "pipeline = " + literal(pipeline) + " AND target = " + literal(target)
                + " AND status = 'open' ORDER BY natural_key, commit_lsn DESC, sequence DESC)";
    }

    /** Returns a row's key as the ledger holds it: {@code jsonb_build_object('k1', alias."k1", ...)}. */
    public static String naturalKeySql(List<String> columns, String alias) {
        return "jsonb_build_object(" + columns.stream().map(c -> literal(c) + ", " + alias + "."
                + SqlIdentifiers.quote(c)).collect(Collectors.joining(", ")) + ")";
    }

    /** Returns key column {@code column} of ledger row {@code alias}, as text: {@code (alias.natural_key ->> 'c')}. */
    public static String keyFieldSql(String alias, String column) {
        return "(" + alias + ".natural_key ->> " + literal(column) + ")";
    }

    // ---- statements of the apply stage ------------------------------------------------------------------------

    /** Inserts {@code records} as open rows of cause {@code undecodable}, in the open transaction. */
    public void recordUndecodable(List<Undecodable> records, int definitionVersion) throws SQLException {
        if (records.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO lockstep.quarantine (pipeline, cause, "
                + "definition_version, reason, raw_record, kafka_topic, kafka_partition, kafka_offset) "
                + "VALUES (?, 'undecodable', ?, ?, ?, ?, 0, ?)")) {
            for (Undecodable record : records) {
                ps.setString(1, pipeline);
                ps.setInt(2, definitionVersion);
                ps.setString(3, record.reason());
                ps.setBytes(4, record.value());
                ps.setString(5, TopicNames.changes(pipeline));
                ps.setLong(6, record.offset());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Locks, in the open transaction, the open rows {@code request} selects, oldest first. */
    public List<OpenRow> lockOpenRows(ReplayStore.Pending request) throws SQLException {
        List<OpenRow> rows = new ArrayList<>();
        try (PreparedStatement open = connection.prepareStatement("SELECT quarantine_id, cause, raw_record, "
                + "kafka_offset FROM lockstep.quarantine WHERE pipeline = ? AND status = 'open' AND "
                + "(?::bigint[] IS NULL OR quarantine_id = ANY(?)) AND (?::text IS NULL OR target = ?) "
                + "AND (?::text IS NULL OR rule = ?) ORDER BY quarantine_id FOR UPDATE")) {
            open.setString(1, pipeline);
            open.setArray(2, request.ids().orElse(null));
            open.setArray(3, request.ids().orElse(null));
            open.setString(4, request.target().orElse(null));
            open.setString(5, request.target().orElse(null));
            open.setString(6, request.rule().orElse(null));
            open.setString(7, request.rule().orElse(null));
            try (ResultSet q = open.executeQuery()) {
                while (q.next()) {
                    boolean undecodable = "undecodable".equals(q.getString(2));
                    rows.add(new OpenRow(q.getLong(1), undecodable, undecodable ? q.getBytes(3) : null, q.getLong(4)));
                }
            }
        }
        return rows;
    }

    /** Marks the undecodable row {@code quarantineId} replayed: it decoded and its change is staged. */
    public void markReplayed(long quarantineId) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("UPDATE lockstep.quarantine SET status = 'replayed', "
                + "resolved_at = now(), relayed_at = NULL WHERE quarantine_id = ?")) {
            ps.setLong(1, quarantineId);
            ps.executeUpdate();
        }
    }

    // ---- statements of the CLI, status and the checks ---------------------------------------------------------

    /** Returns the newest {@code limit} rows (open rows only unless {@code all}), oldest first. */
    public List<Listed> list(boolean all, int limit) throws SQLException {
        List<Listed> rows = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT * FROM (SELECT quarantine_id, created_at, "
                + "status, cause, rule, target, natural_key::text, reason FROM lockstep.quarantine WHERE pipeline = ? "
                + "AND (? OR status = 'open') ORDER BY quarantine_id DESC LIMIT ?) q ORDER BY quarantine_id")) {
            ps.setString(1, pipeline);
            ps.setBoolean(2, all);
            ps.setInt(3, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Listed(rs.getLong(1), rs.getTimestamp(2).toInstant(), rs.getString(3),
                            rs.getString(4), Optional.ofNullable(rs.getString(5)), Optional.ofNullable(rs.getString(6)),
                            Optional.ofNullable(rs.getString(7)), rs.getString(8)));
                }
            }
        }
        return rows;
    }

    /** Returns everything row {@code id} holds that is set, by label (the conformed row pretty-printed). */
    public Optional<Map<String, Object>> show(long id) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT event_id, status, cause, rule, target, "
                + "source_table, natural_key::text, commit_lsn, sequence, definition_version, reason, sql_state, "
                + "jsonb_pretty(conformed_row), raw_record IS NOT NULL, kafka_offset, created_at, resolved_at "
                + "FROM lockstep.quarantine WHERE pipeline = ? AND quarantine_id = ?")) {
            ps.setString(1, pipeline);
            ps.setLong(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                String[] labels = {"event id", "status", "cause", "rule", "target", "source table", "key",
                    "commit lsn", "sequence", "definition version", "reason", "sql state", "conformed row",
                    "raw record kept", "kafka offset", "created at", "resolved at"};
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 0; i < labels.length; i++) {
                    Object value = rs.getObject(i + 1);
                    if (value != null) {
                        row.put(labels[i], value);
                    }
                }
                return Optional.of(row);
            }
        }
    }

    /** Marks discarded those of rows {@code ids} that are open; returns how many. */
    public int discard(List<Long> ids) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("UPDATE lockstep.quarantine SET status = 'discarded', "
                + "resolved_at = now(), relayed_at = NULL WHERE pipeline = ? AND quarantine_id = ANY(?) "
                + "AND status = 'open'")) {
            ps.setString(1, pipeline);
            ps.setArray(2, connection.createArrayOf("bigint", ids.toArray()));
            return ps.executeUpdate();
        }
    }

    /**
     * Returns how many rows are in each status, per target (the source table for an undecodable row's, {@code -}
     * when none) and rule (the cause when no rule diverted the row).
     */
    public List<Count> counts() throws SQLException {
        List<Count> counts = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT coalesce(target, source_table, '-'), "
                + "coalesce(rule, cause), count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status = "
                + "'replayed'), count(*) FILTER (WHERE status = 'superseded'), count(*) FILTER (WHERE status = "
                + "'discarded') FROM lockstep.quarantine WHERE pipeline = ? GROUP BY 1, 2 ORDER BY 1, 2")) {
            ps.setString(1, pipeline);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.add(new Count(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4),
                            rs.getLong(5), rs.getLong(6)));
                }
            }
        }
        return counts;
    }

    /**
     * Returns those of {@code targets} that have open ledger rows, every target that has some when {@code targets}
     * is empty: a probe of the open rows' index per target, not a count of the whole ledger (a switch asks it at its
     * control point).
     */
    public List<String> openTargets(List<String> targets) throws SQLException {
        String sql = targets.isEmpty()
                ? "SELECT DISTINCT target FROM lockstep.quarantine WHERE pipeline = ? AND status = 'open' AND target "
                        + "IS NOT NULL ORDER BY 1"
                : "SELECT t FROM unnest(?::text[]) t WHERE EXISTS (SELECT 1 FROM lockstep.quarantine q WHERE "
                        + "q.pipeline = ? AND q.status = 'open' AND q.target = t) ORDER BY 1";
        List<String> open = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            if (targets.isEmpty()) {
                ps.setString(1, pipeline);
            } else {
                ps.setArray(1, connection.createArrayOf("text", targets.toArray()));
                ps.setString(2, pipeline);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    open.add(rs.getString(1));
                }
            }
        }
        return open;
    }

    // ---- the outbox -------------------------------------------------------------------------------------------

    /**
     * Hands up to {@code limit} rows not yet relayed to {@code publisher} and marks them relayed — unless their status
     * changed meanwhile, or the applier's open batch is changing them (then their new state goes out next time:
     * at-least-once). Each record carries a stable id: the row's {@code event_id} for the diversion,
     * {@code <event_id>/<status>} for its resolution, so consumers de-duplicate by id. Never waits for a row lock, so
     * it cannot deadlock with the applier. Returns how many were published. Runs on an auto-commit connection or
     * inside the caller's transaction.
     */
    public int relay(Publisher publisher, int limit) throws SQLException {
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
                    String status = rs.getString(3);
                    statuses.add(status);
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

    private static String orNull(String expression) {
        return expression == null ? "NULL" : expression;
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }
}
