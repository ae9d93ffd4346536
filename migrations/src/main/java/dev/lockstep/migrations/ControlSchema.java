package dev.lockstep.migrations;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Lockstep's own control schema ({@value #SCHEMA}): deployments, offsets, quarantine, alerts, schema history.
 *
 * <p>Its versioned migrations ship in the jar and are applied by Flyway with their own history table; applying
 * them again is a no-op. Thread-safe: Flyway serialises concurrent migrations with a database lock.
 */
public final class ControlSchema {

    /** The schema that holds Lockstep's control tables. */
    public static final String SCHEMA = "lockstep";
    static final String LOCATION = "classpath:dev/lockstep/migrations/control";
    static final String HISTORY_TABLE = "control_schema_history";

    private final Flyway flyway;

    private ControlSchema(DataSource dataSource) {
        this.flyway = Flyway.configure(ControlSchema.class.getClassLoader())
                .dataSource(requireNonNull(dataSource, "dataSource"))
                .schemas(SCHEMA)
                .createSchemas(true)
                .table(HISTORY_TABLE)
                .locations(LOCATION)
                .validateMigrationNaming(true)
                .placeholderReplacement(false)
                .load();
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

    /** Returns the version of the newest applied migration, or {@code null} when none was applied. */
    public String currentVersion() {
        var current = flyway.info().current();
        return current == null ? null : current.getVersion().getVersion();
    }
}
