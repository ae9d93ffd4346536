-- The highest stream position the warehouse has ever reflected. Unlike (commit_lsn, sequence), which says where
-- the applier resumes and may be rewound on purpose, the high-water mark only grows: a batch starting above it
-- cannot hold a change the warehouse already reflects, so the applier skips its replay guard for it.
ALTER TABLE offsets
    ADD COLUMN high_commit_lsn bigint,
    ADD COLUMN high_sequence   bigint,
    ADD CONSTRAINT offsets_high_water_check CHECK ((high_commit_lsn IS NULL) = (high_sequence IS NULL));

COMMENT ON COLUMN offsets.high_commit_lsn IS 'Highest stream position ever applied, first half; only grows. NULL before the first batch that recorded it.';
COMMENT ON COLUMN offsets.high_sequence IS 'Highest stream position ever applied, second half.';
