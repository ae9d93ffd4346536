-- The append-only guard ran its PL/pgSQL function for every updated ledger row, turning the whole row (the conformed
-- row and raw record included) into jsonb twice to compare it: ~40 % of an update that marks 300 rows relayed,
-- measured, and the applier supersedes and the relay marks rows on every batch. The function now runs only for the
-- updates it refuses, which a WHEN condition finds in C: a column other than status, resolved_at and relayed_at
-- changed, or a resolved row's resolution changed. Every column must be named below: ControlSchemaIT checks that
-- each one of the table's columns but those three is.
DROP TRIGGER quarantine_append_only ON quarantine;

CREATE TRIGGER quarantine_append_only
    BEFORE UPDATE ON quarantine
    FOR EACH ROW
    WHEN ((OLD.quarantine_id, OLD.event_id, OLD.pipeline, OLD.cause, OLD.rule, OLD.target, OLD.source_table,
           OLD.natural_key, OLD.commit_lsn, OLD.sequence, OLD.tx_id, OLD.definition_version, OLD.reason,
           OLD.sql_state, OLD.conformed_row, OLD.raw_record, OLD.kafka_topic, OLD.kafka_partition, OLD.kafka_offset,
           OLD.created_at)
          IS DISTINCT FROM
          (NEW.quarantine_id, NEW.event_id, NEW.pipeline, NEW.cause, NEW.rule, NEW.target, NEW.source_table,
           NEW.natural_key, NEW.commit_lsn, NEW.sequence, NEW.tx_id, NEW.definition_version, NEW.reason,
           NEW.sql_state, NEW.conformed_row, NEW.raw_record, NEW.kafka_topic, NEW.kafka_partition, NEW.kafka_offset,
           NEW.created_at)
          OR (OLD.status <> 'open' AND (NEW.status, NEW.resolved_at) IS DISTINCT FROM (OLD.status, OLD.resolved_at)))
    EXECUTE FUNCTION quarantine_guard();

CREATE TRIGGER quarantine_no_delete
    BEFORE DELETE ON quarantine
    FOR EACH ROW EXECUTE FUNCTION quarantine_guard();

ALTER TABLE quarantine ENABLE ALWAYS TRIGGER quarantine_append_only;
ALTER TABLE quarantine ENABLE ALWAYS TRIGGER quarantine_no_delete;
