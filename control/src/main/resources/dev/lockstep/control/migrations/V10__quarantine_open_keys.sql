-- Every batch marks superseded the open ledger rows of the keys it touched that are older than the key's newest
-- change; without this index that UPDATE reads every open row of the target once per batch.
-- Supports: WHERE pipeline = ? AND target = ? AND status = 'open' AND natural_key = ? (the supersede join).
CREATE INDEX quarantine_open_key_idx ON quarantine (pipeline, target, natural_key) WHERE status = 'open';
