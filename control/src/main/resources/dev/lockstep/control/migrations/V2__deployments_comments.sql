-- V1 left three columns of deployments without a comment; V1 is never edited, so they are described here.
COMMENT ON COLUMN deployments.pipeline IS 'Pipeline name, as in the definition''s pipeline: field; also the middle part of its topic names.';
COMMENT ON COLUMN deployments.version IS 'Definition version, 1, 2, … per pipeline in deployment order; other control tables refer to (pipeline, version).';
COMMENT ON COLUMN deployments.deployed_at IS 'When this version was deployed.';
