-- A column that becomes personal data (pii) in a new definition version must be masked in the ledger rows already
-- written: the one rewrite of a ledger row the guard allows besides its resolution and relay mark is replacing
-- values of its conformed row by "***" (QuarantineStore.mask). Any other change of conformed_row is refused as
-- before.
CREATE FUNCTION quarantine_masks_only(old_row jsonb, new_row jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT NOT EXISTS (SELECT FROM jsonb_each(old_row) b FULL JOIN jsonb_each(new_row) a USING (key)
                       WHERE b.key IS NULL OR a.key IS NULL
                          OR (a.value IS DISTINCT FROM b.value AND a.value <> '"***"'::jsonb))
$$;

COMMENT ON FUNCTION quarantine_masks_only(jsonb, jsonb) IS 'True when conformed row new_row differs from old_row only by values replaced with "***" (a column that became pii, masked).';

CREATE OR REPLACE FUNCTION quarantine_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION 'lockstep.quarantine is append-only: % is not allowed; resolve rows with status replayed or discarded',
            TG_OP USING ERRCODE = 'restrict_violation';
    END IF;
    IF (to_jsonb(NEW) - ARRAY['status', 'resolved_at', 'relayed_at', 'conformed_row'])
            IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'resolved_at', 'relayed_at', 'conformed_row'])
            OR (NEW.conformed_row IS DISTINCT FROM OLD.conformed_row
                AND NOT coalesce(lockstep.quarantine_masks_only(OLD.conformed_row, NEW.conformed_row), false)) THEN
        RAISE EXCEPTION 'lockstep.quarantine is append-only: row % may only change status, resolved_at and relayed_at (and mask values of conformed_row as ***)',
            OLD.quarantine_id USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.status <> 'open' AND (NEW.status, NEW.resolved_at) IS DISTINCT FROM (OLD.status, OLD.resolved_at) THEN
        RAISE EXCEPTION 'lockstep.quarantine row % was already resolved (%) at %', OLD.quarantine_id, OLD.status,
            OLD.resolved_at USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER quarantine_append_only ON quarantine;

-- Every column but status, resolved_at and relayed_at is named below (ControlSchemaIT checks it); conformed_row
-- apart, as its masking is allowed.
CREATE TRIGGER quarantine_append_only
    BEFORE UPDATE ON quarantine
    FOR EACH ROW
    WHEN ((OLD.quarantine_id, OLD.event_id, OLD.pipeline, OLD.cause, OLD.rule, OLD.target, OLD.source_table,
           OLD.natural_key, OLD.commit_lsn, OLD.sequence, OLD.tx_id, OLD.definition_version, OLD.reason,
           OLD.sql_state, OLD.raw_record, OLD.kafka_topic, OLD.kafka_partition, OLD.kafka_offset, OLD.created_at)
          IS DISTINCT FROM
          (NEW.quarantine_id, NEW.event_id, NEW.pipeline, NEW.cause, NEW.rule, NEW.target, NEW.source_table,
           NEW.natural_key, NEW.commit_lsn, NEW.sequence, NEW.tx_id, NEW.definition_version, NEW.reason,
           NEW.sql_state, NEW.raw_record, NEW.kafka_topic, NEW.kafka_partition, NEW.kafka_offset, NEW.created_at)
          OR (OLD.conformed_row IS DISTINCT FROM NEW.conformed_row
              AND NOT coalesce(lockstep.quarantine_masks_only(OLD.conformed_row, NEW.conformed_row), false))
          OR (OLD.status <> 'open' AND (NEW.status, NEW.resolved_at) IS DISTINCT FROM (OLD.status, OLD.resolved_at)))
    EXECUTE FUNCTION quarantine_guard();

ALTER TABLE quarantine ENABLE ALWAYS TRIGGER quarantine_append_only;
