-- A reconcile compares the source and the warehouse at one exact stream position: the source in a snapshot whose
-- position a temporary replication slot gave (LSN), the warehouse in a snapshot the running applier exports at its
-- control point when it has applied every source transaction that committed before that LSN and none after: its
-- stream stops before the first transaction committed at or after the LSN (reconcile commits one, a logical
-- decoding message, right after taking the source snapshot).
-- Each such request is a row here: reconcile inserts it, the applier serves it, reconcile releases it.
CREATE TABLE reconcile_barriers (
    barrier_id      bigint      GENERATED ALWAYS AS IDENTITY,
    pipeline        text        NOT NULL,
    barrier_lsn     bigint      NOT NULL,
    state           text        NOT NULL DEFAULT 'requested',
    snapshot_name   text,
    applied_lsn     bigint,
    applied_sequence bigint,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- Supports: reconcile's reads and updates of its own request, WHERE barrier_id = ?.
    CONSTRAINT reconcile_barriers_pkey PRIMARY KEY (barrier_id),
    CONSTRAINT reconcile_barriers_state_check CHECK (state IN ('requested', 'held', 'missed', 'released')),
    CONSTRAINT reconcile_barriers_lsn_check CHECK (barrier_lsn > 0),
    CONSTRAINT reconcile_barriers_held_check CHECK (state <> 'held' OR snapshot_name IS NOT NULL)
);

-- Supports: the applier's look for requests of its pipeline, WHERE pipeline = ? AND state = 'requested'.
CREATE INDEX reconcile_barriers_requested ON reconcile_barriers (pipeline) WHERE state = 'requested';

COMMENT ON TABLE reconcile_barriers IS 'Requests of lockstep reconcile for a warehouse snapshot at an exact stream position, served by the running applier at its control point.';
COMMENT ON COLUMN reconcile_barriers.barrier_id IS 'Identity of the request.';
COMMENT ON COLUMN reconcile_barriers.pipeline IS 'Pipeline name (deployments.pipeline).';
COMMENT ON COLUMN reconcile_barriers.barrier_lsn IS 'The source snapshot''s LSN: the warehouse snapshot must hold every source transaction committed before it and none at or after it.';
COMMENT ON COLUMN reconcile_barriers.state IS 'requested; held (the applier exported snapshot_name at the barrier and keeps it importable); missed (the applier was past the barrier when it saw it); released (reconcile imported the snapshot, or gave up).';
COMMENT ON COLUMN reconcile_barriers.snapshot_name IS 'The exported warehouse snapshot (pg_export_snapshot), importable while held.';
COMMENT ON COLUMN reconcile_barriers.applied_lsn IS 'Commit LSN of the last source transaction the warehouse snapshot holds.';
COMMENT ON COLUMN reconcile_barriers.applied_sequence IS 'Sequence of that position.';
COMMENT ON COLUMN reconcile_barriers.requested_at IS 'When reconcile asked.';
COMMENT ON COLUMN reconcile_barriers.updated_at IS 'When the state last changed.';
