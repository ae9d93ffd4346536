-- The alerts outbox: CloudEvents written in the apply transaction (or by the scheduled aggregate checks) and
-- relayed after commit, at-least-once, to lockstep.alerts and to webhooks; consumers de-duplicate by event_id.
-- Relayed rows stay as the alert history that lockstep alerts and the HTTP API read, until purged.
CREATE TABLE alerts (
    alert_id     bigint      GENERATED ALWAYS AS IDENTITY,
    event_id     uuid        NOT NULL DEFAULT gen_random_uuid(),
    type         text        NOT NULL,
    severity     text        NOT NULL,
    pipeline     text        NOT NULL,
    rule         text,
    payload      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    relayed_at   timestamptz,
    -- Supports: lockstep alerts --follow across pipelines, WHERE alert_id > ? ORDER BY alert_id.
    CONSTRAINT alerts_pkey PRIMARY KEY (alert_id),
    -- Supports: looking an event up by its CloudEvents id, WHERE event_id = ?; refuses writing one event twice.
    CONSTRAINT alerts_event_id_key UNIQUE (event_id),
    CONSTRAINT alerts_type_check CHECK (type ~ '^dev\.lockstep\.[a-z_]+(\.[a-z_]+)+$'),
    CONSTRAINT alerts_severity_check CHECK (severity IN ('info', 'warning', 'critical')),
    CONSTRAINT alerts_payload_check CHECK (jsonb_typeof(payload) = 'object'),
    CONSTRAINT alerts_relayed_check CHECK (relayed_at IS NULL OR relayed_at >= created_at)
);

-- Supports: the relay, WHERE pipeline = ? AND relayed_at IS NULL ORDER BY alert_id LIMIT ? (each worker relays the
-- pipelines it holds); holds only rows not yet relayed.
CREATE INDEX alerts_unrelayed_idx ON alerts (pipeline, alert_id) WHERE relayed_at IS NULL;

-- Supports: lockstep alerts --pipeline p [--follow] and the HTTP API, WHERE pipeline = ? AND alert_id > ?
-- ORDER BY alert_id.
CREATE INDEX alerts_pipeline_idx ON alerts (pipeline, alert_id);

COMMENT ON TABLE alerts IS 'Outbox of alert CloudEvents, relayed after commit to lockstep.alerts and webhooks; relayed rows remain as alert history until purged.';
COMMENT ON COLUMN alerts.alert_id IS 'Outbox order: the relay publishes in this order.';
COMMENT ON COLUMN alerts.event_id IS 'The CloudEvents id; stable across relays, so consumers de-duplicate by it.';
COMMENT ON COLUMN alerts.type IS 'The CloudEvents type, e.g. dev.lockstep.quality.violation, dev.lockstep.rule.breached, dev.lockstep.rule.resolved.';
COMMENT ON COLUMN alerts.severity IS 'info, warning or critical (the severity extension attribute of the event).';
COMMENT ON COLUMN alerts.pipeline IS 'Pipeline name; the event''s source is derived from it.';
COMMENT ON COLUMN alerts.rule IS 'Name of the quality rule the alert is about; NULL for pipeline-level events.';
COMMENT ON COLUMN alerts.payload IS 'The CloudEvents data: counts, thresholds, sample keys with PII masked; a JSON object.';
COMMENT ON COLUMN alerts.created_at IS 'The CloudEvents time: when the alert was raised (its transaction''s time).';
COMMENT ON COLUMN alerts.relayed_at IS 'When the relay handed the event to every sink (Kafka acknowledged; each webhook delivered or given up after its retries); NULL while pending.';

-- One row per open alert per rule: its presence is what makes the alert open. Upserted when the rule is violated
-- (in the apply transaction or by a scheduled check) and deleted, in the same transaction as the resolved event,
-- when the rule has passed for its resolve_after or its aggregate is back within threshold.
CREATE TABLE open_alerts (
    pipeline           text        NOT NULL,
    rule               text        NOT NULL,
    event_id           uuid        NOT NULL,
    severity           text        NOT NULL,
    violations         bigint      NOT NULL,
    opened_at          timestamptz NOT NULL,
    last_violation_at  timestamptz NOT NULL,
    -- Supports: INSERT … ON CONFLICT (pipeline, rule) DO UPDATE per violated rule, and the resolve timer's
    -- WHERE pipeline = ? scan (a handful of rows per pipeline); also makes a second open alert per rule impossible.
    CONSTRAINT open_alerts_pkey PRIMARY KEY (pipeline, rule),
    CONSTRAINT open_alerts_severity_check CHECK (severity IN ('info', 'warning', 'critical')),
    CONSTRAINT open_alerts_violations_check CHECK (violations > 0),
    CONSTRAINT open_alerts_last_violation_check CHECK (last_violation_at >= opened_at)
);

COMMENT ON TABLE open_alerts IS 'One row per open alert per rule; at most one alert per rule is open, and deleting the row resolves it.';
COMMENT ON COLUMN open_alerts.pipeline IS 'Pipeline name.';
COMMENT ON COLUMN open_alerts.rule IS 'Name of the quality rule whose alert is open.';
COMMENT ON COLUMN open_alerts.event_id IS 'event_id of the breach event that opened the alert; the resolved event refers to it. Not a foreign key: relayed outbox rows may be purged.';
COMMENT ON COLUMN open_alerts.severity IS 'Severity of the open alert: info, warning or critical.';
COMMENT ON COLUMN open_alerts.violations IS 'Violations counted since the alert opened, reported by the resolved event.';
COMMENT ON COLUMN open_alerts.opened_at IS 'When the alert opened.';
COMMENT ON COLUMN open_alerts.last_violation_at IS 'When the rule last failed; the alert resolves once now() - last_violation_at reaches the rule''s resolve_after.';
