-- A deployment is no longer one step: a changed definition goes through expand, rebuild, switch and contract, and
-- each step's end is recorded so that a killed deploy resumes where it stopped. Versions deployed before this
-- migration were deployed whole: they are done.
ALTER TABLE deployments
    ADD COLUMN state text NOT NULL DEFAULT 'done',
    ADD COLUMN operator text,
    ADD COLUMN lint_overrides jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN switch_lsn bigint,
    ADD COLUMN switch_sequence bigint,
    ADD COLUMN switched_at timestamptz,
    ADD COLUMN failure text,
    ADD COLUMN progress text,
    ADD COLUMN contract_requested boolean NOT NULL DEFAULT false,
    ADD COLUMN chunk_rows integer NOT NULL DEFAULT 10000,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT deployments_state_check CHECK (state IN ('planned', 'expanding', 'rebuilding', 'switched',
        'contracting', 'done', 'rolled_back', 'failed')),
    ADD CONSTRAINT deployments_chunk_rows_check CHECK (chunk_rows > 0),
    ADD CONSTRAINT deployments_switch_check CHECK ((switch_lsn IS NULL) = (switch_sequence IS NULL)),
    ADD CONSTRAINT deployments_lint_overrides_check CHECK (jsonb_typeof(lint_overrides) = 'array');

-- Supports: refusing a second deployment of a pipeline while one is under way (the insert of the second fails).
CREATE UNIQUE INDEX deployments_one_active ON deployments (pipeline)
    WHERE state IN ('planned', 'expanding', 'rebuilding', 'switched', 'contracting');

-- The switch phase (generated renames of rebuilt shadow columns into place) is a migration of its own.
ALTER TABLE warehouse_migrations DROP CONSTRAINT warehouse_migrations_phase_check;
ALTER TABLE warehouse_migrations ADD CONSTRAINT warehouse_migrations_phase_check
    CHECK (phase IN ('expand', 'switch', 'contract'));

COMMENT ON COLUMN deployments.state IS 'Where the deployment stands: planned, expanding, rebuilding, switched (the warehouse has the new shape and the applier loads with it; contract pending), contracting, done; or rolled_back, failed. At most one per pipeline is between planned and contracting.';
COMMENT ON COLUMN deployments.operator IS 'Who deployed it: --operator, else the OS user running lockstep deploy; NULL for versions deployed by run.';
COMMENT ON COLUMN deployments.lint_overrides IS 'Lint rules allowed for this deployment with --allow, each as {"rule": ..., "reason": ...}.';
COMMENT ON COLUMN deployments.switch_lsn IS 'Commit LSN of the last source transaction loaded under the previous version: rows at later positions were loaded under this one. NULL until switched.';
COMMENT ON COLUMN deployments.switch_sequence IS 'Sequence within that transaction (second half of the switch position).';
COMMENT ON COLUMN deployments.switched_at IS 'When the switch committed.';
COMMENT ON COLUMN deployments.progress IS 'What the step under way has done, e.g. the rows rebuilt so far; NULL when nothing is under way.';
COMMENT ON COLUMN deployments.contract_requested IS 'Whether lockstep deploy --contract asked for the contract phase: the running pipeline that carries the deployment out runs it then.';
COMMENT ON COLUMN deployments.failure IS 'Why the deployment failed or was rolled back, or why its last attempt at a step failed (it is retried); NULL otherwise.';
COMMENT ON COLUMN deployments.chunk_rows IS 'Source rows per rebuild chunk (lockstep deploy --chunk-size): each chunk is one transaction, run between two batches when the pipeline is running.';
COMMENT ON COLUMN deployments.updated_at IS 'When state last changed.';
COMMENT ON COLUMN warehouse_migrations.phase IS 'expand: additive, applied before the stream switches to the new definition; switch: renames the rebuilt shadow columns and tables into place, in one transaction; contract: destructive, applied only after the switch.';
