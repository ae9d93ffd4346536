-- A quarantined row stands for its key's latest outcome only until a newer change of the same key is checked:
-- from then on it is superseded (the newer change loaded, was diverted again, or deleted the key), so that open
-- rows plus current warehouse rows count every source row once, and replay never loads over a newer change.
ALTER TABLE quarantine DROP CONSTRAINT quarantine_status_check;
ALTER TABLE quarantine ADD CONSTRAINT quarantine_status_check
    CHECK (status IN ('open', 'replayed', 'discarded', 'superseded'));

COMMENT ON COLUMN quarantine.status IS 'open: still diverted; replayed: taken out by quarantine replay (loaded, or diverted again as a new row); discarded: dropped by an operator; superseded: a newer change of the same key was checked since. Moves from open only, once.';

-- Requests to re-check open quarantine rows, served between two batches by the pipeline's applier (the only
-- writer of the warehouse), or by `lockstep quarantine replay` itself when no applier runs.
CREATE TABLE quarantine_replays (
    replay_id       bigint      GENERATED ALWAYS AS IDENTITY,
    pipeline        text        NOT NULL,
    quarantine_ids  bigint[],
    target          text,
    rule            text,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz,
    loaded          integer,
    diverted        integer,
    superseded      integer,
    undecodable     integer,
    message         text,
    -- Supports: the applier's poll for pending requests, WHERE pipeline = ? AND done_at IS NULL ORDER BY replay_id.
    CONSTRAINT quarantine_replays_pkey PRIMARY KEY (replay_id),
    CONSTRAINT quarantine_replays_done_check CHECK ((done_at IS NULL) = (loaded IS NULL))
);

-- Supports: the applier's poll for pending requests: WHERE pipeline = ? AND done_at IS NULL; holds only pending ones.
CREATE INDEX quarantine_replays_pending_idx ON quarantine_replays (pipeline, replay_id) WHERE done_at IS NULL;

COMMENT ON TABLE quarantine_replays IS 'Requests of lockstep quarantine replay and their outcome; served by the pipeline''s applier between batches.';
COMMENT ON COLUMN quarantine_replays.quarantine_ids IS 'The open rows to replay; NULL for every open row matching target and rule.';
COMMENT ON COLUMN quarantine_replays.target IS 'Only rows of this target; NULL for any.';
COMMENT ON COLUMN quarantine_replays.rule IS 'Only rows diverted by this rule; NULL for any.';
COMMENT ON COLUMN quarantine_replays.done_at IS 'When the replay committed; NULL while pending.';
COMMENT ON COLUMN quarantine_replays.loaded IS 'Rows that passed the current rules and loaded.';
COMMENT ON COLUMN quarantine_replays.diverted IS 'Rows that failed again: each is a new open ledger row with the current rule and definition version.';
COMMENT ON COLUMN quarantine_replays.superseded IS 'Rows a newer change of their key had already replaced: marked superseded, not loaded.';
COMMENT ON COLUMN quarantine_replays.undecodable IS 'Undecodable records that still cannot be decoded; they stay open.';
COMMENT ON COLUMN quarantine_replays.message IS 'What went wrong when the replay could not run; NULL when it did.';
COMMENT ON COLUMN quarantine_replays.replay_id IS 'Request order: the applier serves pending requests oldest first.';
COMMENT ON COLUMN quarantine_replays.pipeline IS 'Pipeline name (deployments.pipeline).';
COMMENT ON COLUMN quarantine_replays.requested_at IS 'When lockstep quarantine replay recorded the request.';
