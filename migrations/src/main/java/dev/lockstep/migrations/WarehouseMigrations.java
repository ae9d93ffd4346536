package dev.lockstep.migrations;

import static java.util.Objects.requireNonNull;

import dev.lockstep.control.ControlSchema;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.warehouse.raw.MigrationScript;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import javax.sql.DataSource;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one pipeline's generated warehouse migrations through Flyway, from the scripts stored in
 * {@code lockstep.warehouse_migrations} — never from the text just generated.
 *
 * <p>The first time a version is seen its script is stored (up, down, SHA-256 of up, phase, the definition version
 * that produced it); later generations of that version are compared with the stored text and, when they differ,
 * reported (WARN and {@link Result#differing()}) but never used, so the checksums in Flyway's history stay stable.
 * Flyway's history is the table {@value #HISTORY_TABLE} in the pipeline's warehouse schema, which Flyway creates
 * if missing; each pipeline therefore has its own history, beside the tables it describes. Down scripts stay in the
 * control table and are never given to Flyway: a rollback in production is a new forward migration built from a
 * down script. Thread-safe: storing is insert-once, and Flyway serialises migrations with a database lock.
 */
public final class WarehouseMigrations {

    /** Flyway's history table, in the pipeline's warehouse schema. */
    public static final String HISTORY_TABLE = "flyway_schema_history";

    private static final Logger LOG = LoggerFactory.getLogger(WarehouseMigrations.class);

    /** When a stored migration may run: expand before the stream switches definition, contract after. */
    public enum Phase {
        /** Additive DDL, applied before the stream switches to the new definition. */
        EXPAND,
        /** Renames that put rebuilt shadow columns in place: the switch to the new definition. */
        SWITCH,
        /** Destructive DDL, applied only after every record of the old definition version is loaded. */
        CONTRACT;

        String sql() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The definition version the migrations come from, recorded in {@code lockstep.deployments}. */
    public record Deployment(int version, String definition, String checksum) {

        public Deployment {
            requireNonNull(definition, "definition");
            requireNonNull(checksum, "checksum");
            if (version < 1) {
                throw new IllegalArgumentException("definition version must be positive: " + version);
            }
            if (checksum.isBlank()) {
                throw new IllegalArgumentException("checksum must not be blank");
            }
        }

        /** Returns the deployment of {@code definition}'s text, its checksum the SHA-256 of the text. */
        public static Deployment of(int version, String definition) {
            return new Deployment(version, definition, StoredMigrations.sha256(definition));
        }
    }

    /**
     * What one {@link #apply} did: versions Flyway applied now, versions it had applied before, and versions whose
     * newly generated text differs from the stored text that was used instead. Each list is ascending; never null.
     */
    public record Result(List<Integer> applied, List<Integer> alreadyApplied, List<Integer> differing) {

        public Result {
            applied = List.copyOf(applied);
            alreadyApplied = List.copyOf(alreadyApplied);
            differing = List.copyOf(differing);
        }
    }

    private final DataSource dataSource;
    private final String pipeline;
    private final String warehouseSchema;
    private final Deployment deployment;
    private final StoredMigrations store;

    private WarehouseMigrations(Builder builder) {
        this.dataSource = builder.dataSource;
        this.pipeline = builder.pipeline;
        this.warehouseSchema = builder.warehouseSchema;
        this.deployment = builder.deployment;
        this.store = new StoredMigrations(pipeline);
    }

    /**
     * The newest definition version deployed to a pipeline's warehouse: its number, its text and the highest
     * warehouse migration stored for the pipeline (0 when none).
     */
    public record Deployed(int version, String definition, int lastMigration, DeploymentState state) {
        public Deployed {
            requireNonNull(definition, "definition");
            requireNonNull(state, "state");
        }
    }

    /**
     * Returns the newest definition version deployed for {@code pipeline} to the warehouse behind
     * {@code dataSource}; empty when none was (or the control schema does not exist). Reads only.
     */
    public static Optional<Deployed> latestDeployment(DataSource dataSource, String pipeline) {
        try (Connection c = dataSource.getConnection()) {
            c.setReadOnly(true);
            return StoredMigrations.exist(c) ? new StoredMigrations(pipeline).latest(c) : Optional.empty();
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot read the deployments of pipeline '" + pipeline
                    + "': " + e.getMessage(), e);
        }
    }

    /** Returns a builder; dataSource, pipeline, warehouseSchema and deployment are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** Same as {@link #apply(List, Phase)} with {@link Phase#EXPAND}. */
    public Result apply(List<MigrationScript> generated) {
        return apply(generated, Phase.EXPAND);
    }

    /**
     * Migrates the control schema, records the deployment, stores each generated script whose version is not stored
     * yet (with {@code phase}), then has Flyway apply the pending stored migrations up to the highest version in
     * {@code generated} (every stored one when it is empty) and sets their {@code applied_at}.
     *
     * @throws LockstepException naming the pipeline and version when Flyway fails, or when a stored script no
     *     longer matches its checksum
     */
    public Result apply(List<MigrationScript> generated, Phase phase) {
        requireNonNull(generated, "generated");
        requireNonNull(phase, "phase");
        requireDistinctVersions(generated);
        ControlSchema.of(dataSource).migrate();
        SortedMap<Integer, StoredMigration> stored = storeOnce(generated, phase);
        List<Integer> differing = StoredMigrations.differing(pipeline, generated, stored);
        StoredMigrations.requireIntact(pipeline, stored.values());
        Integer target = generated.stream().map(MigrationScript::version).max(Integer::compare)
                .orElse(stored.isEmpty() ? null : stored.lastKey());
        PipelineFlyway flyway = flyway(stored, target);
        Set<Integer> before = flyway.installedOn().keySet();
        List<Integer> appliedNow = migrate(flyway);
        List<Integer> alreadyApplied = before.stream().filter(v -> !appliedNow.contains(v)).sorted().toList();
        return new Result(appliedNow, alreadyApplied, differing);
    }

    /**
     * What deploying would change, found without touching the warehouse: the definition text deployed under this
     * deployment's version (empty when none was), and the generated migrations whose version is not stored or whose
     * stored script differs — the changes that need a warehouse migration.
     */
    public record Check(Optional<String> deployedDefinition, List<Integer> differing) {
        public Check {
            requireNonNull(deployedDefinition, "deployedDefinition");
            differing = List.copyOf(differing);
        }
    }

    /** Compares {@code generated} and this deployment with what the warehouse has; reads only, changes nothing. */
    public Check check(List<MigrationScript> generated) {
        requireNonNull(generated, "generated");
        try (Connection c = dataSource.getConnection()) {
            c.setReadOnly(true);
            if (!StoredMigrations.exist(c)) {
                return new Check(Optional.empty(), List.of());
            }
            Optional<String> deployed = store.deployedDefinition(c, deployment.version());
            if (deployed.isEmpty()) {
                return new Check(Optional.empty(), List.of());
            }
            SortedMap<Integer, StoredMigration> stored = store.list(c);
            List<Integer> differing = new ArrayList<>(generated.stream().map(MigrationScript::version)
                    .filter(v -> !stored.containsKey(v)).toList());
            differing.addAll(StoredMigrations.differing(pipeline, generated.stream()
                    .filter(m -> stored.containsKey(m.version())).toList(), stored));
            differing.sort(Integer::compare);
            return new Check(deployed, differing);
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "pipeline '" + pipeline
                    + "': cannot read the deployed definition and migrations: " + e.getMessage(), e);
        }
    }

    /**
     * Records this deployment's definition text under its version in place of the one deployed before — for a
     * change that {@link #check} found needs no warehouse migration (quality rules, load settings, comments).
     */
    public void amendDeployment() {
        try (Connection c = dataSource.getConnection()) {
            store.amendDeployment(c, deployment);
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "pipeline '" + pipeline
                    + "': cannot record the changed definition: " + e.getMessage(), e);
        }
        LOG.info("pipeline '{}': definition version {} amended (no warehouse migration needed)", pipeline,
                deployment.version());
    }

    /** Has Flyway apply the pending stored migrations up to {@code version}; returns those applied now. */
    public List<Integer> migrateTo(int version) {
        return migrateTo(version, null);
    }

    /**
     * Has Flyway apply the pending stored migrations up to {@code version}, running {@code with} in the transaction of
     * migration {@code version} after its script (it commits with the migration, or neither does; it does not run
     * when that migration was applied before). Returns the versions applied now.
     */
    public List<Integer> migrateTo(int version, InMigration with) {
        SortedMap<Integer, StoredMigration> stored = stored();
        StoredMigrations.requireIntact(pipeline, stored.values());
        // Runs at a control point: no Flyway validation (it resolves every migration again). The stored scripts'
        // checksums were just checked, and the applier holding the lease is the only one that applies them.
        return migrate(new PipelineFlyway(dataSource, pipeline, warehouseSchema, stored, version, false, with));
    }

    /**
     * Makes stored migration {@code version} ready to be applied at a control point ({@link ControlPointMigration}),
     * Flyway resolving it now; empty when it is applied already or a migration before it is not (apply those with
     * {@link #migrateTo} first).
     */
    public Optional<ControlPointMigration> prepare(int version) {
        SortedMap<Integer, StoredMigration> stored = stored();
        StoredMigrations.requireIntact(pipeline, stored.values());
        List<MigrationInfo> all = flyway(stored, version).info();
        Optional<MigrationInfo> pending = all.stream().filter(i -> i.getVersion() != null && i.getVersion()
                .equals(MigrationVersion.fromVersion(String.valueOf(version))) && !i.getState().isApplied()).findFirst();
        boolean before = all.stream().filter(i -> i.getVersion() != null && i.getVersion().compareTo(MigrationVersion
                .fromVersion(String.valueOf(version))) < 0).allMatch(i -> i.getState().isApplied());
        return pending.filter(p -> before && stored.containsKey(version)).map(p -> new ControlPointMigration(
                dataSource, pipeline, warehouseSchema, stored.get(version), p));
    }

    /** Returns Flyway's view of the pipeline's stored migrations (applied, pending, …), in version order. */
    public List<MigrationInfo> info() {
        return flyway(stored(), null).info();
    }

    /**
     * Runs the stored down script of {@code version}, which must be the newest applied migration, and removes it from
     * Flyway's history, in one transaction. Meant for scratch schemas (tests, dry runs): it rewrites history, and
     * {@code applied_at} of the stored row keeps recording the first application. In production a rollback is a new
     * forward migration built from the down script.
     */
    public void revert(int version) {
        SortedMap<Integer, StoredMigration> stored = stored();
        StoredMigration migration = stored.get(version);
        if (migration == null) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "pipeline '" + pipeline
                    + "': no stored warehouse migration V" + version + " to revert");
        }
        MigrationInfo current = flyway(stored, null).current();
        if (current == null || !MigrationVersion.fromVersion(String.valueOf(version)).equals(current.getVersion())) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "pipeline '" + pipeline + "': V" + version
                    + " is not the newest applied warehouse migration (that is "
                    + (current == null ? "none" : "V" + current.getVersion()) + "); revert newer ones first");
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement();
                    PreparedStatement forget = c.prepareStatement("DELETE FROM " + SqlIdentifiers.quote(warehouseSchema) + "."
                            + SqlIdentifiers.quote(HISTORY_TABLE) + " WHERE version = ?")) {
                s.execute("SET LOCAL search_path TO " + SqlIdentifiers.quote(warehouseSchema));
                s.execute(migration.down());
                forget.setString(1, String.valueOf(version));
                forget.executeUpdate();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.INTERNAL, "pipeline '" + pipeline + "': down script of warehouse "
                    + "migration V" + version + " failed in schema '" + warehouseSchema + "': " + e.getMessage(), e);
        }
        LOG.info("pipeline '{}': reverted warehouse migration V{} ({}) in schema '{}'", pipeline, version,
                migration.description(), warehouseSchema);
    }

    private SortedMap<Integer, StoredMigration> storeOnce(List<MigrationScript> generated, Phase phase) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                store.ensureDeployment(c, deployment);
                for (MigrationScript script : generated) {
                    if (store.storeOnce(c, script, phase.sql(), deployment.version())) {
                        LOG.info("pipeline '{}': stored warehouse migration {}", pipeline, script.fileName());
                    }
                }
                SortedMap<Integer, StoredMigration> stored = store.list(c);
                c.commit();
                return stored;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "pipeline '" + pipeline
                    + "': cannot store warehouse migrations " + PipelineFlyway.versions(generated.stream()
                            .map(MigrationScript::version).toList()) + ": " + e.getMessage(), e);
        }
    }

    private SortedMap<Integer, StoredMigration> stored() {
        try (Connection c = dataSource.getConnection()) {
            return store.list(c);
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "pipeline '" + pipeline
                    + "': cannot read stored warehouse migrations: " + e.getMessage(), e);
        }
    }

    private List<Integer> migrate(PipelineFlyway flyway) {
        List<Integer> applied;
        try {
            applied = flyway.migrate();
        } catch (LockstepException failure) {
            try {
                markApplied(); // the migrations before the failed one were committed
            } catch (RuntimeException unrecorded) {
                failure.addSuppressed(unrecorded);
            }
            throw failure;
        }
        markApplied();
        applied.forEach(v -> LOG.info("pipeline '{}': applied warehouse migration V{} to schema '{}'", pipeline, v,
                warehouseSchema));
        return applied;
    }

    /** Records {@code applied_at} of the stored migrations Flyway applied (from its history table). */
    private void markApplied() {
        try (Connection c = dataSource.getConnection()) {
            store.markAppliedFromHistory(c, warehouseSchema, HISTORY_TABLE);
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "pipeline '" + pipeline + "': warehouse migrations "
                    + "were applied, but recording applied_at failed (the next apply records it): " + e.getMessage(),
                    e);
        }
    }

    private PipelineFlyway flyway(SortedMap<Integer, StoredMigration> stored, Integer target) {
        return new PipelineFlyway(dataSource, pipeline, warehouseSchema, stored, target, true);
    }

    private static void requireDistinctVersions(List<MigrationScript> generated) {
        Set<Integer> seen = new HashSet<>();
        for (MigrationScript script : generated) {
            if (!seen.add(script.version())) {
                throw new IllegalArgumentException("two generated migrations have version " + script.version());
            }
        }
    }

    /** Builds {@link WarehouseMigrations}; {@link #build()} names every required value that is missing. */
    public static final class Builder {

        private DataSource dataSource;
        private String pipeline;
        private String warehouseSchema;
        private Deployment deployment;

        private Builder() {}

        /** The warehouse database, which also holds the control schema {@value ControlSchema#SCHEMA}. */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = dataSource;
            return this;
        }

        /** The pipeline's name, as in its definition. */
        public Builder pipeline(String pipeline) {
            this.pipeline = pipeline;
            return this;
        }

        /** The pipeline's warehouse schema; Flyway keeps its history there. */
        public Builder warehouseSchema(String warehouseSchema) {
            this.warehouseSchema = warehouseSchema;
            return this;
        }

        /** The definition version the migrations are generated from. */
        public Builder deployment(Deployment deployment) {
            this.deployment = deployment;
            return this;
        }

        /** Same as {@code deployment(new Deployment(version, definition, checksum))}. */
        public Builder deployment(int version, String definition, String checksum) {
            return deployment(new Deployment(version, definition, checksum));
        }

        /** Returns the configured migrations; throws naming every required value not given. */
        public WarehouseMigrations build() {
            List<String> missing = new ArrayList<>();
            if (dataSource == null) {
                missing.add("dataSource");
            }
            if (pipeline == null || pipeline.isBlank()) {
                missing.add("pipeline");
            }
            if (warehouseSchema == null || warehouseSchema.isBlank()) {
                missing.add("warehouseSchema");
            }
            if (deployment == null) {
                missing.add("deployment");
            }
            if (!missing.isEmpty()) {
                throw new IllegalStateException("WarehouseMigrations needs " + String.join(", ", missing));
            }
            return new WarehouseMigrations(this);
        }
    }
}
