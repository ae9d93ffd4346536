-- The open-row index by id served nothing the open-key index (V10) does not: with both, the planner, working from
-- ledger statistics that lag far behind a busy ledger, could probe the id index for every key of a batch and
-- filter every open row of the target each time (measured: 0.5 s per batch at 90 open rows). One index on the
-- open rows leaves one plan: a probe per key.
-- Supports (quarantine_open_key_idx, kept): WHERE pipeline = ? AND target = ? AND status = 'open' [AND natural_key = ?].
DROP INDEX quarantine_open_idx;
