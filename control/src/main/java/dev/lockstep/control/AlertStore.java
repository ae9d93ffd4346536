package dev.lockstep.control;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.definition.Severity;
import dev.lockstep.quality.alert.Alert;
import dev.lockstep.quality.alert.AlertData;
import dev.lockstep.quality.alert.AlertEvents;
import dev.lockstep.quality.alert.AlertSink;
import dev.lockstep.quality.alert.AlertType;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A pipeline's alerts, through the outbox in the control schema: a rule's violations open one alert per rule
 * ({@code lockstep.open_alerts}) and write a {@code dev.lockstep.rule.breached} event — in the caller's transaction,
 * so an alert exists exactly when the batch that raised it committed; an open alert resolves, with a
 * {@code dev.lockstep.rule.resolved} event, once its rule had no violation for its {@code resolve_after}; the relay
 * hands pending events to the sinks after commit (at-least-once; consumers de-duplicate by id).
 */
public final class AlertStore {

    /** An alert as {@code lockstep alerts} lists it. */
    public record Listed(long id, Instant createdAt, String severity, String type, Optional<String> rule,
            String message, UUID eventId) {}

    /** A rule's open alert. */
    public record OpenAlert(String rule, String severity, long violations, Instant openedAt) {}

    private final String pipeline;

    /** Returns the outbox of {@code pipeline}. */
    public AlertStore(String pipeline) {
        this.pipeline = requireNonNull(pipeline, "pipeline");
    }

    /**
     * Records, in the connection's open transaction, that {@code violations} rows of {@code target} failed
     * {@code rule}; opens the rule's alert (and writes its breached event) when none is open. {@code sampleKeys} are
     * masked keys of failing rows.
     */
    public void violated(Connection connection, QualityRule rule, String target, long violations,
            List<Map<String, Object>> sampleKeys) throws SQLException {
        Optional<UUID> opened = count(connection, rule, violations);
        if (opened.isPresent()) {
            write(connection, opened.get(), AlertType.RULE_BREACHED, rule.name(), rule.severity(), new AlertData(
                    violations, 0, target, rule.kind().yamlName(), violations + " row(s) of " + target + " failed rule "
                    + rule.name() + " (on_fail: " + rule.onFail().yamlName() + ")", sampleKeys));
        }
    }

    /**
     * Adds {@code violations} to the rule's open alert, opening it when none is; returns the breached event's id when
     * this call opened it.
     */
    private Optional<UUID> count(Connection connection, QualityRule rule, long violations) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO lockstep.open_alerts (pipeline, rule, "
                + "event_id, severity, violations, opened_at, last_violation_at) VALUES (?, ?, gen_random_uuid(), ?, ?, "
                + "now(), now()) ON CONFLICT (pipeline, rule) DO UPDATE SET violations = open_alerts.violations "
                + "+ excluded.violations, last_violation_at = excluded.last_violation_at "
                + "RETURNING event_id, xmax = 0")) {
            ps.setString(1, pipeline);
            ps.setString(2, rule.name());
            ps.setString(3, rule.severity().yamlName());
            ps.setLong(4, violations);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(2) ? Optional.of(rs.getObject(1, UUID.class)) : Optional.empty();
            }
        }
    }

    /**
     * Records, in the connection's open transaction, that aggregate rule {@code rule} is beyond its threshold
     * ({@code observed} says by how much): opens its alert with a breached event when none is open. Returns true when
     * it opened one.
     */
    public boolean breached(Connection connection, QualityRule rule, String observed) throws SQLException {
        Optional<UUID> opened = count(connection, rule, 1);
        if (opened.isPresent()) {
            write(connection, opened.get(), AlertType.RULE_BREACHED, rule.name(), rule.severity(), new AlertData(1, 0,
                    rule.target(), rule.kind().yamlName(), "rule " + rule.name() + " on " + rule.target() + ": "
                    + observed, List.of()));
        }
        return opened.isPresent();
    }

    /**
     * Resolves, in the connection's open transaction, the open alert of aggregate rule {@code rule} — it is back
     * within its threshold ({@code observed}) — with a resolved event. Returns false when none was open.
     */
    public boolean backWithin(Connection connection, QualityRule rule, String observed) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("DELETE FROM lockstep.open_alerts WHERE pipeline = ? "
                + "AND rule = ? RETURNING violations")) {
            ps.setString(1, pipeline);
            ps.setString(2, rule.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
                write(connection, UUID.randomUUID(), AlertType.RULE_RESOLVED, rule.name(), rule.severity(),
                        new AlertData(rs.getLong(1), 0, rule.target(), rule.kind().yamlName(), "rule " + rule.name()
                                + " on " + rule.target() + " is back within its threshold: " + observed, List.of()));
                return true;
            }
        }
    }

    /**
     * Resolves, in one transaction it commits, the open alerts whose rule had no violation for its
     * {@code resolve_after} ({@code rules} by name; an alert of a rule no longer defined resolves after five
     * minutes). Returns how many resolved. The connection must not be in a transaction of the caller's.
     */
    public int resolveQuiet(Connection connection, Map<String, QualityRule> rules) throws SQLException {
        int resolved = 0;
        try (PreparedStatement ps = connection.prepareStatement("SELECT rule, severity, violations, "
                + "extract(epoch FROM now() - last_violation_at) * 1000 FROM lockstep.open_alerts WHERE pipeline = ? "
                // An alert the applier's open batch is counting a violation on is not quiet; waiting for it could
                // deadlock with the batch.
                + "FOR UPDATE SKIP LOCKED")) {
            ps.setString(1, pipeline);
            try (ResultSet rs = ps.executeQuery()) {
                List<Object[]> quiet = new ArrayList<>();
                while (rs.next()) {
                    QualityRule rule = rules.get(rs.getString(1));
                    if (rule != null && !rule.kind().perRow()) {
                        continue; // resolves when its aggregate is back within the threshold, see backWithin
                    }
                    Duration after = rule == null ? Duration.ofMinutes(5) : rule.resolveAfter();
                    if (rs.getDouble(4) >= after.toMillis()) {
                        quiet.add(new Object[] {rs.getString(1), rs.getString(2), rs.getLong(3), after, rule});
                    }
                }
                for (Object[] alert : quiet) {
                    String name = (String) alert[0];
                    try (PreparedStatement delete = connection.prepareStatement("DELETE FROM lockstep.open_alerts "
                            + "WHERE pipeline = ? AND rule = ?")) {
                        delete.setString(1, pipeline);
                        delete.setString(2, name);
                        delete.executeUpdate();
                    }
                    QualityRule rule = (QualityRule) alert[4];
                    write(connection, UUID.randomUUID(), AlertType.RULE_RESOLVED, name,
                            Severity.valueOf(((String) alert[1]).toUpperCase(Locale.ROOT)), new AlertData((Long) alert[2],
                                    0, rule == null ? null : rule.target(), rule == null ? null : rule.kind().yamlName(),
                                    "rule " + name + " had no violation for " + alert[3] + " (" + alert[2]
                                            + " violation(s) while open)", List.of()));
                    resolved++;
                }
            }
        }
        connection.commit();
        return resolved;
    }

    /**
     * Hands up to {@code limit} pending events, oldest first, to every sink and marks them relayed; returns how many.
     * A sink that throws leaves them pending for the next call. Runs on its own auto-commit connection.
     */
    public int relay(Connection connection, List<AlertSink> sinks, int limit) throws SQLException {
        List<Alert> alerts = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT alert_id, event_id, type, severity, rule, "
                + "payload::text, created_at FROM lockstep.alerts WHERE pipeline = ? AND relayed_at IS NULL "
                + "ORDER BY alert_id LIMIT ?")) {
            ps.setString(1, pipeline);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                    alerts.add(new Alert(rs.getObject(2, UUID.class), AlertType.fromType(rs.getString(3)), pipeline,
                            rs.getString(5), Severity.valueOf(rs.getString(4).toUpperCase(Locale.ROOT)),
                            rs.getTimestamp(7).toInstant(), AlertEvents.dataFromJson(rs.getString(6))));
                }
            }
        }
        if (alerts.isEmpty()) {
            return 0;
        }
        for (AlertSink sink : sinks) {
            sink.publish(alerts);
        }
        try (PreparedStatement ps = connection.prepareStatement("UPDATE lockstep.alerts SET relayed_at = "
                + "greatest(now(), created_at) WHERE alert_id = ANY(?)")) {
            Array array = connection.createArrayOf("bigint", ids.toArray());
            ps.setArray(1, array);
            ps.executeUpdate();
        }
        return alerts.size();
    }

    /** Returns the newest {@code limit} alerts, oldest first. */
    public List<Listed> newest(Connection connection, int limit) throws SQLException {
        return list(connection, "SELECT * FROM (" + LISTED + "ORDER BY alert_id DESC LIMIT ?) a ORDER BY alert_id",
                limit);
    }

    /** Returns the alerts after the one of id {@code afterId}, oldest first. */
    public List<Listed> after(Connection connection, long afterId) throws SQLException {
        return list(connection, LISTED + "AND alert_id > ? ORDER BY alert_id", afterId);
    }

    private static final String LISTED = "SELECT alert_id, created_at, severity, type, rule, payload->>'message', "
            + "event_id FROM lockstep.alerts WHERE pipeline = ? ";

    private List<Listed> list(Connection connection, String sql, long parameter) throws SQLException {
        List<Listed> alerts = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, pipeline);
            ps.setLong(2, parameter);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    alerts.add(new Listed(rs.getLong(1), rs.getTimestamp(2).toInstant(), rs.getString(3),
                            rs.getString(4), Optional.ofNullable(rs.getString(5)), rs.getString(6),
                            rs.getObject(7, UUID.class)));
                }
            }
        }
        return alerts;
    }

    /** Returns the open alerts, oldest first. */
    public List<OpenAlert> open(Connection connection) throws SQLException {
        List<OpenAlert> open = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement("SELECT rule, severity, violations, opened_at FROM "
                + "lockstep.open_alerts WHERE pipeline = ? ORDER BY opened_at")) {
            ps.setString(1, pipeline);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    open.add(new OpenAlert(rs.getString(1), rs.getString(2), rs.getLong(3),
                            rs.getTimestamp(4).toInstant()));
                }
            }
        }
        return open;
    }

    /** Returns how many alerts are open. */
    public long openCount(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT count(*) FROM lockstep.open_alerts "
                + "WHERE pipeline = ?")) {
            ps.setString(1, pipeline);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private void write(Connection connection, UUID event, AlertType type, String rule, Severity severity,
            AlertData data) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO lockstep.alerts (event_id, type, severity, "
                + "pipeline, rule, payload) VALUES (?, ?, ?, ?, ?, ?::jsonb)")) {
            ps.setObject(1, event);
            ps.setString(2, type.type());
            ps.setString(3, severity.yamlName());
            ps.setString(4, pipeline);
            ps.setString(5, rule);
            ps.setString(6, AlertEvents.dataToJson(data));
            ps.executeUpdate();
        }
    }
}
