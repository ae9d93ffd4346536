-- The quarantine ledger: every source row that did not reach the warehouse, with the reason why. Rows are
-- inserted in the same warehouse transaction as the rest of their source transaction, so warehouse rows plus
-- open quarantine rows account for every source row. Append-only: a row is never deleted, and once written
-- only its resolution (status, resolved_at) and its relay mark (relayed_at) change. The ledger is also the
-- outbox of lockstep.<pipeline>.quarantine: the relay publishes rows whose relayed_at is NULL, after commit.
CREATE TABLE quarantine (
    quarantine_id       bigint      GENERATED ALWAYS AS IDENTITY,
    event_id            uuid        NOT NULL DEFAULT gen_random_uuid(),
    pipeline            text        NOT NULL,
    cause               text        NOT NULL,
    rule                text,
    target              text,
    source_table        text,
    natural_key         jsonb,
    commit_lsn          bigint,
    sequence            bigint,
    tx_id               bigint,
    definition_version  integer     NOT NULL,
    reason              text        NOT NULL,
    sql_state           text,
    conformed_row       jsonb,
    raw_record          bytea,
    kafka_topic         text,
    kafka_partition     integer,
    kafka_offset        bigint,
    status              text        NOT NULL DEFAULT 'open',
    created_at          timestamptz NOT NULL DEFAULT now(),
    resolved_at         timestamptz,
    relayed_at          timestamptz,
    -- Supports: quarantine show <id>, and the relay's ORDER BY quarantine_id (ledger order = commit order).
    CONSTRAINT quarantine_pkey PRIMARY KEY (quarantine_id),
    -- Supports: consumers and quarantine show looking a relayed record up by its stable id, WHERE event_id = ?.
    CONSTRAINT quarantine_event_id_key UNIQUE (event_id),
    CONSTRAINT quarantine_definition_fkey FOREIGN KEY (pipeline, definition_version)
        REFERENCES deployments (pipeline, version),
    CONSTRAINT quarantine_cause_check CHECK (cause IN ('rule', 'runtime_error', 'undecodable')),
    CONSTRAINT quarantine_rule_check CHECK ((cause = 'rule') = (rule IS NOT NULL)),
    CONSTRAINT quarantine_rule_row_check CHECK (cause <> 'rule' OR (target IS NOT NULL AND natural_key IS NOT NULL)),
    CONSTRAINT quarantine_decoded_check CHECK (cause = 'undecodable' OR commit_lsn IS NOT NULL),
    CONSTRAINT quarantine_undecodable_check CHECK (cause <> 'undecodable'
        OR (raw_record IS NOT NULL AND kafka_offset IS NOT NULL)),
    CONSTRAINT quarantine_natural_key_check CHECK (natural_key IS NULL OR jsonb_typeof(natural_key) = 'object'),
    CONSTRAINT quarantine_conformed_row_check CHECK (conformed_row IS NULL OR jsonb_typeof(conformed_row) = 'object'),
    CONSTRAINT quarantine_position_check CHECK ((commit_lsn IS NULL) = (sequence IS NULL)
        AND commit_lsn >= 0 AND sequence >= 0),
    CONSTRAINT quarantine_kafka_check CHECK ((kafka_topic IS NULL) = (kafka_offset IS NULL)
        AND (kafka_topic IS NULL) = (kafka_partition IS NULL) AND kafka_partition >= 0 AND kafka_offset >= 0),
    CONSTRAINT quarantine_status_check CHECK (status IN ('open', 'replayed', 'discarded')),
    CONSTRAINT quarantine_resolved_check CHECK ((status = 'open') = (resolved_at IS NULL))
);

-- Supports: quarantine list/replay and the accounting check: WHERE pipeline = ? AND target = ? AND status = 'open'
-- ORDER BY quarantine_id (also count(*) of open rows per target); only open rows are indexed, so it stays small.
CREATE INDEX quarantine_open_idx ON quarantine (pipeline, target, quarantine_id) WHERE status = 'open';

-- Supports: the relay to lockstep.<pipeline>.quarantine: WHERE pipeline = ? AND relayed_at IS NULL
-- ORDER BY quarantine_id LIMIT ?; holds only rows not yet relayed.
CREATE INDEX quarantine_unrelayed_idx ON quarantine (pipeline, quarantine_id) WHERE relayed_at IS NULL;

COMMENT ON TABLE quarantine IS 'Append-only ledger of source rows diverted from the warehouse (quality rules, run-time errors, undecodable records); also the outbox of lockstep.<pipeline>.quarantine.';
COMMENT ON COLUMN quarantine.quarantine_id IS 'Ledger order: increases with insertion, so with commit order within a pipeline.';
COMMENT ON COLUMN quarantine.event_id IS 'Stable id carried by the relayed Kafka record; consumers de-duplicate by it.';
COMMENT ON COLUMN quarantine.pipeline IS 'Pipeline name (deployments.pipeline).';
COMMENT ON COLUMN quarantine.cause IS 'rule: a quality rule diverted the row; runtime_error: evaluating or loading the row failed in PostgreSQL; undecodable: the Kafka record could not be decoded.';
COMMENT ON COLUMN quarantine.rule IS 'Name of the quality rule that diverted the row; set exactly when cause = rule.';
COMMENT ON COLUMN quarantine.target IS 'Dimension or fact the row was meant for (e.g. customer, order_line); always set for rule rows, NULL when not known (undecodable records).';
COMMENT ON COLUMN quarantine.source_table IS 'Source table (schema.table) of the change that produced the row, when known.';
COMMENT ON COLUMN quarantine.natural_key IS 'Natural key (dimension) or grain (fact) of the row as a JSON object of column to value; always set for rule rows, NULL when not known.';
COMMENT ON COLUMN quarantine.commit_lsn IS 'Stream position of the change, first half: commit LSN of its source transaction; NULL only for undecodable records.';
COMMENT ON COLUMN quarantine.sequence IS 'Stream position of the change, second half: its sequence inside the source transaction.';
COMMENT ON COLUMN quarantine.tx_id IS 'Source transaction id (xid), when known.';
COMMENT ON COLUMN quarantine.definition_version IS 'Definition version (deployments.version) the row was checked with.';
COMMENT ON COLUMN quarantine.reason IS 'Why the row was diverted: the rule''s message, PostgreSQL''s error message, or the decoder''s error.';
COMMENT ON COLUMN quarantine.sql_state IS 'SQLSTATE of the PostgreSQL error for runtime_error rows (e.g. 22012 division by zero); NULL otherwise.';
COMMENT ON COLUMN quarantine.conformed_row IS 'The conformed row as a JSON object, PII columns (and the source columns feeding them) masked; NULL when the row could not be conformed or decoded. Contains PII only masked.';
COMMENT ON COLUMN quarantine.raw_record IS 'The Kafka record value as received, for undecodable records only (Avro single-object encoding, possibly corrupt).';
COMMENT ON COLUMN quarantine.kafka_topic IS 'Topic of the Kafka record the row came from; required for undecodable records.';
COMMENT ON COLUMN quarantine.kafka_partition IS 'Partition of the Kafka record the row came from.';
COMMENT ON COLUMN quarantine.kafka_offset IS 'Offset of the Kafka record the row came from.';
COMMENT ON COLUMN quarantine.status IS 'open: still diverted; replayed: loaded by quarantine replay; discarded: dropped by an operator. Moves from open only, once.';
COMMENT ON COLUMN quarantine.created_at IS 'Time of the warehouse transaction that diverted the row.';
COMMENT ON COLUMN quarantine.resolved_at IS 'When status left open; NULL exactly while open.';
COMMENT ON COLUMN quarantine.relayed_at IS 'When the relay published the row to lockstep.<pipeline>.quarantine; NULL while pending. Reset to NULL to publish a resolution.';

-- Append-only: no DELETE, no TRUNCATE; an UPDATE may only resolve an open row (once) or mark it relayed.
CREATE FUNCTION quarantine_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'lockstep.quarantine is append-only: % is not allowed; resolve rows with status replayed or discarded',
            TG_OP USING ERRCODE = 'restrict_violation';
    END IF;
    IF (to_jsonb(NEW) - ARRAY['status', 'resolved_at', 'relayed_at'])
            IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'resolved_at', 'relayed_at']) THEN
        RAISE EXCEPTION 'lockstep.quarantine is append-only: row % may only change status, resolved_at and relayed_at',
            OLD.quarantine_id USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.status <> 'open' AND (NEW.status, NEW.resolved_at) IS DISTINCT FROM (OLD.status, OLD.resolved_at) THEN
        RAISE EXCEPTION 'lockstep.quarantine row % was already resolved (%) at %', OLD.quarantine_id, OLD.status,
            OLD.resolved_at USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION quarantine_guard() IS 'Keeps lockstep.quarantine append-only: refuses DELETE and TRUNCATE, and updates other than resolving an open row or marking it relayed.';

CREATE TRIGGER quarantine_append_only
    BEFORE UPDATE OR DELETE ON quarantine
    FOR EACH ROW EXECUTE FUNCTION quarantine_guard();

CREATE TRIGGER quarantine_no_truncate
    BEFORE TRUNCATE ON quarantine
    FOR EACH STATEMENT EXECUTE FUNCTION quarantine_guard();
