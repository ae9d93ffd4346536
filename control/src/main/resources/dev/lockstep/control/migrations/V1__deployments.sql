-- Every version of every pipeline definition that was deployed, as written, with its checksum.
CREATE TABLE deployments (
    pipeline      text        NOT NULL,
    version       integer     NOT NULL,
    checksum      text        NOT NULL,
    definition    text        NOT NULL,
    deployed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline, version)
);

COMMENT ON TABLE deployments IS 'Pipeline definitions deployed, one row per version; the newest version is live.';
COMMENT ON COLUMN deployments.checksum IS 'SHA-256 of the definition text, to tell a changed definition from a re-deploy.';
COMMENT ON COLUMN deployments.definition IS 'The definition as deployed, secrets left as ${VAR} references.';
