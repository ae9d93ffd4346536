-- Where each pipeline's applier stands: the last applied stream position and the Kafka offset it consumed up to.
-- Written by the applier in the same warehouse transaction as the rows of the batch, so the warehouse and its
-- position can never disagree; read at start to seek the consumer, and per transaction to skip replays.
CREATE TABLE offsets (
    pipeline            text        NOT NULL,
    topic               text        NOT NULL,
    kafka_partition     integer     NOT NULL,
    next_offset         bigint      NOT NULL,
    commit_lsn          bigint      NOT NULL,
    sequence            bigint      NOT NULL,
    source_commit_ts    timestamptz,
    definition_version  integer     NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- Supports: the applier's start-up seek and per-batch upsert, WHERE pipeline = ? (one row per pipeline).
    CONSTRAINT offsets_pkey PRIMARY KEY (pipeline),
    CONSTRAINT offsets_definition_fkey FOREIGN KEY (pipeline, definition_version)
        REFERENCES deployments (pipeline, version),
    CONSTRAINT offsets_kafka_partition_check CHECK (kafka_partition >= 0),
    CONSTRAINT offsets_next_offset_check CHECK (next_offset >= 0),
    CONSTRAINT offsets_position_check CHECK (commit_lsn >= 0 AND sequence >= 0)
);

COMMENT ON TABLE offsets IS 'Applied stream position and consumed Kafka offset per pipeline; written by the applier in the same transaction as the rows it loads.';
COMMENT ON COLUMN offsets.pipeline IS 'Pipeline name (deployments.pipeline).';
COMMENT ON COLUMN offsets.topic IS 'Kafka topic consumed, lockstep.<pipeline>.changes.';
COMMENT ON COLUMN offsets.kafka_partition IS 'Partition of topic consumed; the changes topic has exactly one (0).';
COMMENT ON COLUMN offsets.next_offset IS 'Offset of the next record to consume (last consumed + 1, as Kafka commits it); the consumer seeks here at start.';
COMMENT ON COLUMN offsets.commit_lsn IS 'Commit LSN of the last source transaction applied (first half of the stream position).';
COMMENT ON COLUMN offsets.sequence IS 'Sequence of the last change applied inside that transaction (second half of the stream position); transactions at or below (commit_lsn, sequence) are skipped whole.';
COMMENT ON COLUMN offsets.source_commit_ts IS 'Source commit time of the last applied transaction, for the freshness rule; NULL when the source did not give one.';
COMMENT ON COLUMN offsets.definition_version IS 'Definition version the last batch was applied with (deployments.version).';
COMMENT ON COLUMN offsets.updated_at IS 'Time of the warehouse transaction that wrote this row.';
