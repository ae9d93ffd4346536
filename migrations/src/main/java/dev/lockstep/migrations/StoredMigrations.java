package dev.lockstep.migrations;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.warehouse.raw.MigrationScript;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pipeline's rows in {@code lockstep.deployments} and {@code lockstep.warehouse_migrations}, the store of both
 * tables: every statement on them is written here (they belong to the migration coordinator, so the store lives in
 * this module rather than with the other control tables' in {@code dev.lockstep.control}). Every method works
 * inside the caller's connection and transaction; inserts are {@code ON CONFLICT DO NOTHING}, so concurrent callers
 * storing the same version agree on whichever row was stored first.
 */
final class StoredMigrations {

    private static final Logger LOG = LoggerFactory.getLogger(StoredMigrations.class);

    private static final String INSERT_DEPLOYMENT = "INSERT INTO lockstep.deployments "
            + "(pipeline, version, checksum, definition) VALUES (?, ?, ?, ?) ON CONFLICT (pipeline, version) DO NOTHING";
    private static final String DEPLOYED_CHECKSUM = "SELECT checksum FROM lockstep.deployments "
            + "WHERE pipeline = ? AND version = ?";
    private static final String INSERT_MIGRATION = "INSERT INTO lockstep.warehouse_migrations (pipeline, version, "
            + "description, phase, definition_version, up_script, down_script, checksum) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pipeline, version) DO NOTHING";
    private static final String SELECT_MIGRATIONS = "SELECT version, description, phase, definition_version, "
            + "up_script, down_script, checksum, applied_at FROM lockstep.warehouse_migrations "
            + "WHERE pipeline = ? ORDER BY version";
    private final String pipeline;

    StoredMigrations(String pipeline) {
        this.pipeline = requireNonNull(pipeline, "pipeline");
    }

    /** Tells whether the control schema holds the tables of deployments and their migrations (deployed once). */
    static boolean exist(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT to_regclass('lockstep.deployments') IS NOT NULL AND "
                        + "to_regclass('lockstep.warehouse_migrations') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Records the deployment once; refuses a different definition under a version already deployed. */
    void ensureDeployment(Connection c, WarehouseMigrations.Deployment deployment) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(INSERT_DEPLOYMENT)) {
            insert.setString(1, pipeline);
            insert.setInt(2, deployment.version());
            insert.setString(3, deployment.checksum());
            insert.setString(4, deployment.definition());
            insert.executeUpdate();
        }
        try (PreparedStatement select = c.prepareStatement(DEPLOYED_CHECKSUM)) {
            select.setString(1, pipeline);
            select.setInt(2, deployment.version());
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                String deployed = rs.getString(1);
                if (!deployed.equals(deployment.checksum())) {
                    throw new LockstepException(ErrorCode.INVALID_INPUT, "pipeline '" + pipeline
                            + "': definition version " + deployment.version() + " was already deployed with checksum "
                            + deployed + ", not " + deployment.checksum()
                            + "; deploy a changed definition as a new version");
                }
            }
        }
    }

    /** Returns the definition text deployed under {@code version}, if any. */
    Optional<String> deployedDefinition(Connection c, int version) throws SQLException {
        try (PreparedStatement select = c.prepareStatement("SELECT definition FROM lockstep.deployments "
                + "WHERE pipeline = ? AND version = ?")) {
            select.setString(1, pipeline);
            select.setInt(2, version);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
            }
        }
    }

    /** Returns the newest deployed version and its definition text, if any was deployed. */
    Optional<WarehouseMigrations.Deployed> latest(Connection c) throws SQLException {
        try (PreparedStatement select = c.prepareStatement("SELECT d.version, d.definition, (SELECT max(m.version) "
                + "FROM lockstep.warehouse_migrations m WHERE m.pipeline = d.pipeline), d.state "
                + "FROM lockstep.deployments d WHERE d.pipeline = ? AND d.state NOT IN ('rolled_back', 'failed') "
                + "ORDER BY d.version DESC LIMIT 1")) {
            select.setString(1, pipeline);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(new WarehouseMigrations.Deployed(rs.getInt(1), rs.getString(2),
                        rs.getInt(3), DeploymentState.of(rs.getString(4)))) : Optional.empty();
            }
        }
    }

    /** Returns definition version {@code version} as recorded, whatever its state. */
    Optional<WarehouseMigrations.Deployed> deployed(Connection c, int version) throws SQLException {
        try (PreparedStatement select = c.prepareStatement("SELECT d.version, d.definition, (SELECT max(m.version) "
                + "FROM lockstep.warehouse_migrations m WHERE m.pipeline = d.pipeline), d.state "
                + "FROM lockstep.deployments d WHERE d.pipeline = ? AND d.version = ?")) {
            select.setString(1, pipeline);
            select.setInt(2, version);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(new WarehouseMigrations.Deployed(rs.getInt(1), rs.getString(2),
                        rs.getInt(3), DeploymentState.of(rs.getString(4)))) : Optional.empty();
            }
        }
    }

    /** Returns the highest definition version ever recorded for the pipeline (0 when none), whatever its state. */
    int highestVersion(Connection c) throws SQLException {
        try (PreparedStatement select = c.prepareStatement("SELECT coalesce(max(version), 0) FROM "
                + "lockstep.deployments WHERE pipeline = ?")) {
            select.setString(1, pipeline);
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /**
     * Records a new version in state planned, by {@code operator}, with the lint rules it allows as a JSON array;
     * fails with a unique violation on {@code deployments_one_active} while another deployment is under way.
     */
    void begin(Connection c, WarehouseMigrations.Deployment deployment, String operator, String lintOverrides,
            int chunkRows) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO lockstep.deployments (pipeline, version, "
                + "checksum, definition, state, operator, lint_overrides, chunk_rows) "
                + "VALUES (?, ?, ?, ?, 'planned', ?, ?::jsonb, ?)")) {
            insert.setString(1, pipeline);
            insert.setInt(2, deployment.version());
            insert.setString(3, deployment.checksum());
            insert.setString(4, deployment.definition());
            insert.setString(5, operator);
            insert.setString(6, lintOverrides);
            insert.setInt(7, chunkRows);
            insert.executeUpdate();
        }
    }

    /** Returns the version and state of the pipeline's deployment under way, if one is. */
    Optional<Map.Entry<Integer, DeploymentState>> active(Connection c) throws SQLException {
        try (PreparedStatement select = c.prepareStatement("SELECT version, state FROM lockstep.deployments "
                + "WHERE pipeline = ? AND state IN ('planned', 'expanding', 'rebuilding', 'switched', 'contracting')")) {
            select.setString(1, pipeline);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(Map.entry(rs.getInt(1), DeploymentState.of(rs.getString(2))))
                        : Optional.empty();
            }
        }
    }

    /** Moves deployment {@code version} to {@code state}, recording {@code failure} (null: none). */
    void state(Connection c, int version, DeploymentState state, String failure) throws SQLException {
        try (PreparedStatement update = c.prepareStatement("UPDATE lockstep.deployments SET state = ?, failure = ?, "
                + "progress = NULL, updated_at = now() WHERE pipeline = ? AND version = ?")) {
            update.setString(1, state.sql());
            update.setString(2, failure);
            update.setString(3, pipeline);
            update.setInt(4, version);
            if (update.executeUpdate() != 1) {
                throw new IllegalStateException("pipeline '" + pipeline + "' has no definition version " + version);
            }
        }
    }

    /** Returns where the pipeline's newest deployment stands, whatever its state, if one was recorded. */
    Optional<DeploymentStatus> status(Connection c) throws SQLException {
        // The contract phase is due when asked for, or once its delay after the switch passed.
        try (PreparedStatement select = c.prepareStatement("SELECT version, state, contract_requested OR "
                + "coalesce(switched_at + contract_after <= now(), false), progress, "
                + "failure, switch_lsn, switch_sequence, operator, updated_at, chunk_rows FROM lockstep.deployments "
                + "WHERE pipeline = ? ORDER BY version DESC LIMIT 1")) {
            select.setString(1, pipeline);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                long lsn = rs.getLong(6);
                Optional<long[]> switchedAt = rs.wasNull() ? Optional.empty()
                        : Optional.of(new long[] {lsn, rs.getLong(7)});
                return Optional.of(new DeploymentStatus(rs.getInt(1), DeploymentState.of(rs.getString(2)),
                        rs.getBoolean(3), Optional.ofNullable(rs.getString(4)), Optional.ofNullable(rs.getString(5)),
                        switchedAt.map(p -> p[0]), switchedAt.map(p -> p[1]), Optional.ofNullable(rs.getString(8)),
                        rs.getTimestamp(9).toInstant(), rs.getInt(10)));
            }
        }
    }

    /** Records what the step under way of deployment {@code version} has done ({@code progress}) or why it failed. */
    void note(Connection c, int version, String progress, String failure) throws SQLException {
        try (PreparedStatement update = c.prepareStatement("UPDATE lockstep.deployments SET progress = ?, failure = ?, "
                + "updated_at = now() WHERE pipeline = ? AND version = ?")) {
            update.setString(1, progress);
            update.setString(2, failure);
            update.setString(3, pipeline);
            update.setInt(4, version);
            update.executeUpdate();
        }
    }

    /** Has the contract phase of deployment {@code version} run by itself {@code delay} after its switch. */
    void delayContract(Connection c, int version, java.time.Duration delay) throws SQLException {
        try (PreparedStatement update = c.prepareStatement("UPDATE lockstep.deployments SET contract_after = "
                + "make_interval(secs => ?), updated_at = now() WHERE pipeline = ? AND version = ?")) {
            update.setDouble(1, delay.toMillis() / 1000.0);
            update.setString(2, pipeline);
            update.setInt(3, version);
            update.executeUpdate();
        }
    }

    /** Asks for the contract phase of deployment {@code version} (the running pipeline carrying it out runs it). */
    void requestContract(Connection c, int version) throws SQLException {
        try (PreparedStatement update = c.prepareStatement("UPDATE lockstep.deployments SET contract_requested = true, "
                + "updated_at = now() WHERE pipeline = ? AND version = ?")) {
            update.setString(1, pipeline);
            update.setInt(2, version);
            update.executeUpdate();
        }
    }

    /**
     * Deletes the stored migrations of deployment {@code version} that were never applied (a failed or rolled-back
     * deployment's), so that Flyway never applies them; returns how many.
     */
    int forgetUnapplied(Connection c, int version) throws SQLException {
        try (PreparedStatement delete = c.prepareStatement("DELETE FROM lockstep.warehouse_migrations "
                + "WHERE pipeline = ? AND definition_version = ? AND applied_at IS NULL")) {
            delete.setString(1, pipeline);
            delete.setInt(2, version);
            return delete.executeUpdate();
        }
    }

    /** Records that deployment {@code version} switched after the stream position {@code (lsn, sequence)}. */
    void switched(Connection c, int version, long lsn, long sequence) throws SQLException {
        try (PreparedStatement update = c.prepareStatement("UPDATE lockstep.deployments SET state = 'switched', "
                + "switch_lsn = ?, switch_sequence = ?, switched_at = now(), progress = NULL, updated_at = now() "
                + "WHERE pipeline = ? AND version = ?")) {
            update.setLong(1, lsn);
            update.setLong(2, sequence);
            update.setString(3, pipeline);
            update.setInt(4, version);
            update.executeUpdate();
        }
    }

    /** Replaces the definition text and checksum recorded under the deployment's version. */
    void amendDeployment(Connection c, WarehouseMigrations.Deployment deployment) throws SQLException {
        try (PreparedStatement update = c.prepareStatement("UPDATE lockstep.deployments SET checksum = ?, "
                + "definition = ? WHERE pipeline = ? AND version = ?")) {
            update.setString(1, deployment.checksum());
            update.setString(2, deployment.definition());
            update.setString(3, pipeline);
            update.setInt(4, deployment.version());
            update.executeUpdate();
        }
    }

    /** Stores {@code script} unless this pipeline already has a migration with its version; returns true if stored. */
    boolean storeOnce(Connection c, MigrationScript script, String phase, int definitionVersion) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(INSERT_MIGRATION)) {
            insert.setString(1, pipeline);
            insert.setInt(2, script.version());
            insert.setString(3, script.description());
            insert.setString(4, phase);
            insert.setInt(5, definitionVersion);
            insert.setString(6, script.up());
            insert.setString(7, script.down());
            insert.setString(8, sha256(script.up()));
            return insert.executeUpdate() == 1;
        }
    }

    /** Returns every stored migration of the pipeline by version. */
    SortedMap<Integer, StoredMigration> list(Connection c) throws SQLException {
        SortedMap<Integer, StoredMigration> stored = new TreeMap<>();
        try (PreparedStatement select = c.prepareStatement(SELECT_MIGRATIONS)) {
            select.setString(1, pipeline);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    Timestamp appliedAt = rs.getTimestamp(8);
                    StoredMigration m = new StoredMigration(rs.getInt(1), rs.getString(2), rs.getString(3),
                            rs.getInt(4), rs.getString(5), rs.getString(6), rs.getString(7),
                            appliedAt == null ? null : appliedAt.toInstant());
                    stored.put(m.version(), m);
                }
            }
        }
        return stored;
    }

    /**
     * Records {@code applied_at} of every stored migration Flyway's history table in {@code schema} shows applied
     * successfully and that has none yet (its installation time, not before it was generated): one statement, where
     * reading Flyway's info costs a resolution of every migration (measured: ~250 ms at a control point).
     */
    int markAppliedFromHistory(Connection c, String schema, String historyTable) throws SQLException {
        try (PreparedStatement update = c.prepareStatement("UPDATE lockstep.warehouse_migrations m SET applied_at = "
                + "greatest(h.installed_on::timestamptz, m.generated_at) FROM " + SqlIdentifiers.quote(schema) + "."
                + SqlIdentifiers.quote(historyTable) + " h WHERE m.pipeline = ? AND m.applied_at IS NULL AND "
                + "h.success AND h.type = 'SQL' AND h.version = m.version::text")) {
            update.setString(1, pipeline);
            return update.executeUpdate();
        }
    }

    /**
     * Returns the versions of {@code generated} whose stored migration differs (description, up or down script),
     * logging each: the stored one is kept, Flyway applies only that.
     */
    static List<Integer> differing(String pipeline, List<MigrationScript> generated,
            Map<Integer, StoredMigration> stored) {
        List<Integer> differing = new ArrayList<>();
        for (MigrationScript script : generated) {
            StoredMigration kept = stored.get(script.version());
            List<String> parts = new ArrayList<>();
            if (!kept.description().equals(script.description())) {
                parts.add("description");
            }
            if (!kept.up().equals(script.up())) {
                parts.add("up script");
            }
            if (!kept.down().equals(script.down())) {
                parts.add("down script");
            }
            if (!parts.isEmpty()) {
                differing.add(script.version());
                LOG.warn("pipeline '{}': warehouse migration V{} was generated again with a different {}; "
                        + "keeping the stored {} (generated for definition version {}), Flyway applies only that",
                        pipeline, script.version(), String.join(" and ", parts), kept.fileName(),
                        kept.definitionVersion());
            }
        }
        differing.sort(Integer::compare);
        return differing;
    }

    /** Refuses stored migrations whose up script no longer matches its checksum (changed outside Lockstep). */
    static void requireIntact(String pipeline, Collection<StoredMigration> stored) {
        for (StoredMigration m : stored) {
            if (!sha256(m.up()).equals(m.checksum())) {
                throw new LockstepException(ErrorCode.INTERNAL, "pipeline '" + pipeline + "': stored warehouse "
                        + "migration V" + m.version() + " no longer matches its checksum; lockstep."
                        + "warehouse_migrations was changed outside Lockstep, restore its up_script");
            }
        }
    }

    /** Returns the SHA-256 of {@code text} (UTF-8) as lower-case hex, as stored in {@code checksum}. */
    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
