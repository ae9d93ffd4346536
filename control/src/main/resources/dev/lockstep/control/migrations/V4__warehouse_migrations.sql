-- Warehouse migrations generated from pipeline definitions, stored the first time they are generated and never
-- regenerated, so the checksums in each pipeline's Flyway history stay stable. Flyway reads the up scripts from
-- here; the down scripts stay beside them, outside Flyway, to build a rollback as a new forward migration.
CREATE TABLE warehouse_migrations (
    pipeline            text        NOT NULL,
    version             integer     NOT NULL,
    description         text        NOT NULL,
    phase               text        NOT NULL,
    definition_version  integer     NOT NULL,
    up_script           text        NOT NULL,
    down_script         text        NOT NULL,
    checksum            text        NOT NULL,
    generated_at        timestamptz NOT NULL DEFAULT now(),
    applied_at          timestamptz,
    -- Supports: the coordinator listing a pipeline's migrations for Flyway, WHERE pipeline = ? ORDER BY version,
    -- and refuses a second generation of the same version.
    CONSTRAINT warehouse_migrations_pkey PRIMARY KEY (pipeline, version),
    CONSTRAINT warehouse_migrations_definition_fkey FOREIGN KEY (pipeline, definition_version)
        REFERENCES deployments (pipeline, version),
    CONSTRAINT warehouse_migrations_version_check CHECK (version > 0),
    CONSTRAINT warehouse_migrations_description_check CHECK (btrim(description) <> ''),
    CONSTRAINT warehouse_migrations_phase_check CHECK (phase IN ('expand', 'contract')),
    CONSTRAINT warehouse_migrations_checksum_check CHECK (checksum ~ '^[0-9a-f]{64}$'),
    CONSTRAINT warehouse_migrations_applied_check CHECK (applied_at IS NULL OR applied_at >= generated_at)
);

COMMENT ON TABLE warehouse_migrations IS 'Generated warehouse migrations per pipeline, stored once and never regenerated; only applied_at changes, and an applied migration is never deleted.';
COMMENT ON COLUMN warehouse_migrations.pipeline IS 'Pipeline name; each pipeline''s warehouse schema has its own Flyway history.';
COMMENT ON COLUMN warehouse_migrations.version IS 'Flyway version (V<version>__…), 1, 2, … per pipeline in generation order.';
COMMENT ON COLUMN warehouse_migrations.description IS 'Flyway description (the part after V<version>__), e.g. add customer segment.';
COMMENT ON COLUMN warehouse_migrations.phase IS 'expand: additive, applied before the stream switches to the new definition; contract: destructive, applied only after every record of the old version is loaded.';
COMMENT ON COLUMN warehouse_migrations.definition_version IS 'Definition version (deployments.version) whose diff or source schema change produced this migration.';
COMMENT ON COLUMN warehouse_migrations.up_script IS 'The SQL Flyway applies, exactly as generated.';
COMMENT ON COLUMN warehouse_migrations.down_script IS 'SQL that reverts up_script; never run by Flyway directly, a rollback becomes a new forward migration built from it.';
COMMENT ON COLUMN warehouse_migrations.checksum IS 'SHA-256 (lower-case hex) of up_script, computed when generated; checked before each Flyway run so a stored script cannot drift.';
COMMENT ON COLUMN warehouse_migrations.generated_at IS 'When the migration was generated and stored.';
COMMENT ON COLUMN warehouse_migrations.applied_at IS 'When Flyway applied it to the warehouse; NULL while pending. Set once.';

-- Generated once, never regenerated: the scripts are immutable, applied_at is set once, applied rows stay.
CREATE FUNCTION warehouse_migrations_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.applied_at IS NOT NULL THEN
            RAISE EXCEPTION 'warehouse migration %/V% was applied and cannot be deleted; roll back with a new forward migration',
                OLD.pipeline, OLD.version USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF (to_jsonb(NEW) - 'applied_at') IS DISTINCT FROM (to_jsonb(OLD) - 'applied_at') THEN
        RAISE EXCEPTION 'warehouse migration %/V% is stored once and never regenerated; only applied_at may be set',
            OLD.pipeline, OLD.version USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.applied_at IS NOT NULL AND NEW.applied_at IS DISTINCT FROM OLD.applied_at THEN
        RAISE EXCEPTION 'warehouse migration %/V% was already applied at %', OLD.pipeline, OLD.version, OLD.applied_at
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION warehouse_migrations_guard() IS 'Keeps stored warehouse migrations immutable: only applied_at may be set, once; applied rows cannot be deleted.';

CREATE TRIGGER warehouse_migrations_immutable
    BEFORE UPDATE OR DELETE ON warehouse_migrations
    FOR EACH ROW EXECUTE FUNCTION warehouse_migrations_guard();
