package dev.lockstep.migrations;

import dev.lockstep.control.ControlSchema;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.CoreErrorCode;
import org.flywaydb.core.api.CoreMigrationType;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.flywaydb.core.api.exception.FlywayValidateException;
import org.flywaydb.core.api.output.MigrateOutput;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Flyway over one pipeline's stored warehouse migrations: history table {@link WarehouseMigrations#HISTORY_TABLE} in
 * the warehouse schema (also the search path while migrating), SQL served by {@link StoredScripts} only, no
 * placeholders, no class-path scanning, no baseline, no clean. Flyway failures become {@link LockstepException}s
 * that name the pipeline and the version.
 */
final class PipelineFlyway {

    private final String pipeline;
    private final String schema;
    private final SortedMap<Integer, StoredMigration> stored;
    private final Flyway flyway;

    /**
     * Flyway applying {@code stored} up to {@code target} (every stored migration when null), validating the applied
     * migrations against the stored ones first when {@code validate}.
     */
    PipelineFlyway(DataSource dataSource, String pipeline, String schema, SortedMap<Integer, StoredMigration> stored,
            Integer target, boolean validate) {
        this(dataSource, pipeline, schema, stored, target, validate, null);
    }

    /**
     * As above, also running {@code with} in the transaction of migration {@code target} after its script, before its
     * history row: both commit or neither does (null: nothing).
     */
    PipelineFlyway(DataSource dataSource, String pipeline, String schema, SortedMap<Integer, StoredMigration> stored,
            Integer target, boolean validate, InMigration with) {
        this.pipeline = pipeline;
        this.schema = schema;
        this.stored = stored;
        var configuration = Flyway.configure(PipelineFlyway.class.getClassLoader())
                .dataSource(dataSource)
                .schemas(schema)
                .defaultSchema(schema)
                .createSchemas(true)
                .table(WarehouseMigrations.HISTORY_TABLE)
                .resourceProvider(new StoredScripts(pipeline, stored.values()))
                .javaMigrationClassProvider(List::of) // with both providers set, Flyway scans no locations
                .validateMigrationNaming(true)
                .placeholderReplacement(false)
                .baselineOnMigrate(false)
                .outOfOrder(false)
                .cleanDisabled(true)
                .validateOnMigrate(validate);
        ControlSchema.atomicMigrations(configuration); // each migration and its history row commit together
        if (target != null) {
            configuration.target(MigrationVersion.fromVersion(String.valueOf(target)));
            if (with != null) {
                configuration.callbacks(new InTransaction(MigrationVersion.fromVersion(String.valueOf(target)), with));
            }
        }
        this.flyway = configuration.load();
    }

    /** Returns Flyway's info for every migration, in version order. */
    List<MigrationInfo> info() {
        try {
            return Arrays.asList(flyway.info().all());
        } catch (FlywayException e) {
            throw failure("reading the history of", e);
        }
    }

    /** Returns the newest applied migration, or null when none was applied. */
    MigrationInfo current() {
        try {
            return flyway.info().current();
        } catch (FlywayException e) {
            throw failure("reading the history of", e);
        }
    }

    /** Returns the installation time of every successfully applied SQL migration, by version. */
    Map<Integer, Instant> installedOn() {
        Map<Integer, Instant> installed = new LinkedHashMap<>();
        try {
            for (MigrationInfo m : flyway.info().applied()) {
                if (m.getType() == CoreMigrationType.SQL && !m.getState().isFailed()) {
                    installed.put(Integer.valueOf(m.getVersion().getVersion()), m.getInstalledOn().toInstant());
                }
            }
        } catch (FlywayException e) {
            throw failure("reading the history of", e);
        }
        return installed;
    }

    /** Applies the pending migrations and returns their versions, ascending. */
    List<Integer> migrate() {
        try {
            MigrateResult result = flyway.migrate();
            List<Integer> applied = new ArrayList<>();
            for (MigrateOutput m : result.migrations) {
                if (m.version != null && !m.version.isEmpty()) {
                    applied.add(Integer.valueOf(m.version));
                }
            }
            applied.sort(Integer::compare);
            return applied;
        } catch (FlywayValidateException e) {
            throw failure("validating", e);
        } catch (FlywayException e) {
            // On PostgreSQL each migration commits or rolls back alone, so the one that failed is still pending.
            throw failure(firstPending().map(v -> "warehouse migration V" + v + " (" + stored.get(v).description()
                    + ")").orElse("warehouse migrations " + versions(List.copyOf(stored.keySet()))), e);
        }
    }

    private Optional<Integer> firstPending() {
        try {
            return Arrays.stream(flyway.info().pending()).filter(MigrationInfo::isVersioned)
                    .map(m -> Integer.valueOf(m.getVersion().getVersion())).findFirst();
        } catch (FlywayException ignored) {
            return Optional.empty(); // the database is unreachable too; the message names every version
        }
    }

    private LockstepException failure(String what, FlywayException e) {
        String subject = what.startsWith("warehouse migration") ? what
                : what + " warehouse migrations " + versions(List.copyOf(stored.keySet()));
        ErrorCode code = unavailable(e) ? ErrorCode.UNAVAILABLE : ErrorCode.INTERNAL;
        return new LockstepException(code, "pipeline '" + pipeline + "': " + subject + " failed in schema '"
                + schema + "': " + e.getMessage(), e);
    }

    /** True when the database was unreachable or busy, so that retrying may help. */
    private static boolean unavailable(FlywayException e) {
        if (e.getErrorCode() == CoreErrorCode.DB_CONNECTION) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                return state.startsWith("08") || state.startsWith("53") || state.startsWith("57")
                        || state.startsWith("40");
            }
        }
        return false;
    }

    /** Runs work on the connection of one migration, in its transaction, once its script ran. */
    private record InTransaction(MigrationVersion version, InMigration work) implements Callback {

        @Override
        public boolean supports(Event event, Context context) {
            return event == Event.AFTER_EACH_MIGRATE && context.getMigrationInfo() != null
                    && version.equals(context.getMigrationInfo().getVersion());
        }

        @Override
        public boolean canHandleInTransaction(Event event, Context context) {
            return true;
        }

        @Override
        public void handle(Event event, Context context) {
            try {
                work.run(context.getConnection());
            } catch (SQLException e) {
                // Flyway rolls the migration back with it, and names this callback's failure.
                throw new FlywayException("in the transaction of V" + version + ": " + e.getMessage(), e);
            }
        }

        @Override
        public String getCallbackName() {
            return "lockstep-in-migration-V" + version;
        }
    }

    /** Returns {@code V1, V2, …}, or {@code (none)}. */
    static String versions(List<Integer> versions) {
        return versions.isEmpty() ? "(none)"
                : versions.stream().map(v -> "V" + v).collect(Collectors.joining(", "));
    }
}
