-- Schema history per pipeline, in stream order: source schema changes seen in the change stream and warehouse
-- migrations applied at a stream position (between two batches, while the applier waits). Answers "which schema
-- was in force at position X" and lets the coordinator resume after a crash.
CREATE TABLE schema_history (
    history_id          bigint      GENERATED ALWAYS AS IDENTITY,
    pipeline            text        NOT NULL,
    kind                text        NOT NULL,
    commit_lsn          bigint      NOT NULL,
    sequence            bigint      NOT NULL,
    definition_version  integer     NOT NULL,
    source_table        text,
    schema_version      integer,
    schema_fingerprint  bigint,
    migration_version   integer,
    details             jsonb       NOT NULL DEFAULT '{}',
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    -- Supports: lookups of one entry by id (lockstep status, HTTP API).
    CONSTRAINT schema_history_pkey PRIMARY KEY (history_id),
    CONSTRAINT schema_history_definition_fkey FOREIGN KEY (pipeline, definition_version)
        REFERENCES deployments (pipeline, version),
    CONSTRAINT schema_history_migration_fkey FOREIGN KEY (pipeline, migration_version)
        REFERENCES warehouse_migrations (pipeline, version),
    CONSTRAINT schema_history_kind_check CHECK (kind IN ('source_change', 'warehouse_migration')),
    CONSTRAINT schema_history_source_change_check CHECK (kind <> 'source_change'
        OR (source_table IS NOT NULL AND schema_version IS NOT NULL AND migration_version IS NULL)),
    CONSTRAINT schema_history_migration_check CHECK (kind <> 'warehouse_migration'
        OR (migration_version IS NOT NULL AND source_table IS NULL AND schema_version IS NULL)),
    CONSTRAINT schema_history_position_check CHECK (commit_lsn >= 0 AND sequence >= 0),
    CONSTRAINT schema_history_details_check CHECK (jsonb_typeof(details) = 'object')
);

-- Supports: the pipeline's timeline and "schema in force at a position", WHERE pipeline = ?
-- AND (commit_lsn, sequence) <= (?, ?) ORDER BY commit_lsn DESC, sequence DESC.
CREATE INDEX schema_history_position_idx ON schema_history (pipeline, commit_lsn, sequence);

-- Supports: recording a source schema change idempotently when a rewound stream shows it again,
-- INSERT … ON CONFLICT DO NOTHING; and WHERE pipeline = ? AND source_table = ? ORDER BY schema_version.
CREATE UNIQUE INDEX schema_history_source_change_key ON schema_history (pipeline, source_table, schema_version)
    WHERE kind = 'source_change';

-- Supports: "at which position was migration V<n> applied", WHERE pipeline = ? AND migration_version = ?; a
-- migration is applied once (a rollback is a new forward migration).
CREATE UNIQUE INDEX schema_history_migration_key ON schema_history (pipeline, migration_version)
    WHERE kind = 'warehouse_migration';

COMMENT ON TABLE schema_history IS 'Source schema changes seen in the stream and warehouse migrations applied, each at its stream position, per pipeline.';
COMMENT ON COLUMN schema_history.history_id IS 'Insertion order.';
COMMENT ON COLUMN schema_history.pipeline IS 'Pipeline name (deployments.pipeline).';
COMMENT ON COLUMN schema_history.kind IS 'source_change: a source table''s schema changed in the stream; warehouse_migration: a warehouse migration was applied.';
COMMENT ON COLUMN schema_history.commit_lsn IS 'Stream position, first half: commit LSN of the transaction carrying the change, or the applied position the migration ran after.';
COMMENT ON COLUMN schema_history.sequence IS 'Stream position, second half: sequence inside that transaction.';
COMMENT ON COLUMN schema_history.definition_version IS 'Definition version (deployments.version) in force when the entry was recorded.';
COMMENT ON COLUMN schema_history.source_table IS 'Source table (schema.table) whose schema changed; source_change only.';
COMMENT ON COLUMN schema_history.schema_version IS 'The table''s new schema_version as carried by its change records; source_change only.';
COMMENT ON COLUMN schema_history.schema_fingerprint IS 'Avro fingerprint (64-bit Rabin, as in lockstep._schemas) of the new change schema, when known.';
COMMENT ON COLUMN schema_history.migration_version IS 'Version of the warehouse migration applied (warehouse_migrations.version); warehouse_migration only.';
COMMENT ON COLUMN schema_history.details IS 'What changed, as a JSON object: columns added, dropped or retyped; for a migration, its phase and duration.';
COMMENT ON COLUMN schema_history.recorded_at IS 'When the entry was written.';
