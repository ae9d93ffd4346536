package dev.lockstep.control;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;

/**
 * Lockstep's own control schema ({@value #SCHEMA}): deployments, offsets, quarantine, alerts, schema history.
 *
 * <p>Its versioned migrations ship in the jar and are applied by Flyway with their own history table; applying
 * them again is a no-op. Thread-safe: Flyway serialises concurrent migrations with a database lock.
 */
public final class ControlSchema {

    /** The schema that holds Lockstep's control tables. */
    public static final String SCHEMA = "lockstep";
    static final String LOCATION = "classpath:dev/lockstep/control/migrations";
    static final String HISTORY_TABLE = "control_schema_history";

    /**
     * One connection for each migration and its schema-history row, so that both commit together. With Flyway's
     * default on PostgreSQL (a transaction-scoped advisory lock) the history is written on a second connection and
     * committed after the migration: a process killed between the two commits leaves the migration applied and not
     * recorded, and every later run fails on it ("relation ... already exists"). Found by the chaos suite (a kill at
     * start-up) and reproduced by killing migrating processes at random (2 of 60 restarts stuck). The lock is then
     * session-scoped: a killed process's lock goes with its connection.
     */
    public static FluentConfiguration atomicMigrations(FluentConfiguration configuration) {
        configuration.getConfigurationExtension(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
        return configuration;
    }

    private final Flyway flyway;

    private ControlSchema(DataSource dataSource) {
        this.flyway = atomicMigrations(Flyway.configure(ControlSchema.class.getClassLoader())
                .dataSource(requireNonNull(dataSource, "dataSource"))
                .schemas(SCHEMA)
                .createSchemas(true)
                .table(HISTORY_TABLE)
                .locations(LOCATION)
                .validateMigrationNaming(true)
                .placeholderReplacement(false)).load();
    }

    /** Returns the control schema of the database behind {@code dataSource}. */
    public static ControlSchema of(DataSource dataSource) {
        return new ControlSchema(dataSource);
    }

    /** Applies pending migrations and returns how many ran (0 when the schema is current). */
    public int migrate() {
        try {
            MigrateResult result = flyway.migrate();
            return result.migrationsExecuted;
        } catch (FlywayException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE,
                    "cannot migrate the control schema '" + SCHEMA + "': " + e.getMessage(), e);
        }
    }

    /**
     * Tells whether {@code e} says the control schema or one of its tables does not exist: a database Lockstep never
     * deployed to.
     */
    public static boolean isMissing(SQLException e) {
        return "42P01".equals(e.getSQLState()) || "3F000".equals(e.getSQLState());
    }

    /** Returns the version of the newest applied migration, or {@code null} when none was applied. */
    public String currentVersion() {
        var current = flyway.info().current();
        return current == null ? null : current.getVersion().getVersion();
    }
}
