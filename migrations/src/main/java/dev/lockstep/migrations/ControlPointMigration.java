package dev.lockstep.migrations;

import static dev.lockstep.core.definition.SqlIdentifiers.quote;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.api.MigrationInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stored warehouse migration made ready, off the applying thread, to be applied at a control point between two
 * batches: Flyway resolved it beforehand (its description, script name and checksum, which Flyway validates later), so
 * that applying it is one transaction on one connection — the script, the work to do with it ({@link InMigration}),
 * its row in Flyway's history table and {@code applied_at} — instead of a Flyway call (a connection, its metadata
 * queries, the history read and locked, every stored migration resolved: ~250 ms measured, the stream stalled that
 * long). The applier holding the pipeline's apply lease is the only one that applies its migrations.
 */
public final class ControlPointMigration implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ControlPointMigration.class);

    private final DataSource dataSource;
    private final String pipeline;
    private final String schema;
    private final StoredMigration migration;
    private final MigrationInfo resolved;
    /** The connection holding the tables' locks in the transaction the migration runs in ({@link #hold}), if any. */
    private Connection held;

    ControlPointMigration(DataSource dataSource, String pipeline, String schema, StoredMigration migration,
            MigrationInfo resolved) {
        this.dataSource = dataSource;
        this.pipeline = pipeline;
        this.schema = schema;
        this.migration = migration;
        this.resolved = resolved;
    }

    /** Returns the migration's version. */
    public int version() {
        return migration.version();
    }

    /**
     * Opens the connection the migration then runs on, and takes {@code SHARE UPDATE EXCLUSIVE} locks on those of
     * {@code tables} (qualified, quoted) that exist, in the transaction the migration runs in: autovacuum, which that
     * lock keeps off, would otherwise make the migration's {@code ACCESS EXCLUSIVE} locks wait a {@code
     * deadlock_timeout} per table it vacuums before cancelling it (measured: 7.7 s at a switch after a rebuild of 1M
     * rows in 13 partitions, the stream stalled as long). Batches go on meanwhile: their locks do not conflict with
     * it. Waits as long as it takes (cancelling autovacuum likewise): call it off the applying thread.
     */
    public void hold(List<String> tables) throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            c.setAutoCommit(false);
            List<String> existing = new ArrayList<>();
            try (PreparedStatement exists = c.prepareStatement("SELECT t FROM unnest(?::text[]) t WHERE "
                    + "to_regclass(t) IS NOT NULL")) {
                exists.setArray(1, c.createArrayOf("text", tables.toArray()));
                try (ResultSet rs = exists.executeQuery()) {
                    while (rs.next()) {
                        existing.add(rs.getString(1));
                    }
                }
            }
            if (!existing.isEmpty()) {
                try (Statement s = c.createStatement()) {
                    s.execute("LOCK TABLE " + String.join(", ", existing) + " IN SHARE UPDATE EXCLUSIVE MODE");
                }
            }
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
        close();
        held = c;
    }

    /** Lets go of the locks {@link #hold} took, when the migration was not applied. */
    @Override
    public void close() {
        if (held != null) {
            try {
                held.close();
            } catch (SQLException e) {
                LOG.debug("closing the connection holding the migration's locks failed", e);
            }
            held = null;
        }
    }

    /**
     * Applies the migration with {@code with} (null: nothing) in one transaction and returns its version; returns an
     * empty list, running nothing, when it was applied meanwhile.
     *
     * @throws LockstepException naming the migration when it fails (rolled back whole: the warehouse is unchanged)
     */
    public List<Integer> apply(InMigration with) {
        String history = quote(schema) + "." + quote(WarehouseMigrations.HISTORY_TABLE);
        long started = System.nanoTime();
        Connection holding = held;
        held = null;
        try (Connection c = holding != null ? holding : dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement applied = c.prepareStatement("SELECT 1 FROM " + history
                        + " WHERE version = ? AND success")) {
                    applied.setString(1, String.valueOf(version()));
                    try (ResultSet rs = applied.executeQuery()) {
                        if (rs.next()) {
                            c.rollback();
                            return List.of();
                        }
                    }
                }
                try (Statement s = c.createStatement()) {
                    s.execute("SET LOCAL search_path TO " + quote(schema)); // as Flyway runs it
                    s.execute(migration.up());
                }
                if (with != null) {
                    with.run(c);
                }
                try (PreparedStatement row = c.prepareStatement("INSERT INTO " + history + " (installed_rank, "
                        + "version, description, type, script, checksum, installed_by, execution_time, success) "
                        + "SELECT coalesce(max(installed_rank), 0) + 1, ?, ?, ?, ?, ?, current_user, ?, true FROM "
                        + history)) {
                    row.setString(1, String.valueOf(version()));
                    row.setString(2, resolved.getDescription());
                    row.setString(3, resolved.getType().name());
                    row.setString(4, resolved.getScript());
                    row.setObject(5, resolved.getChecksum());
                    row.setInt(6, (int) ((System.nanoTime() - started) / 1_000_000));
                    row.executeUpdate();
                }
                new StoredMigrations(pipeline).markAppliedFromHistory(c, schema, WarehouseMigrations.HISTORY_TABLE);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            boolean retry = state.startsWith("08") || state.startsWith("53") || state.startsWith("57")
                    || state.startsWith("40") || state.equals("55P03");
            throw new LockstepException(retry ? ErrorCode.UNAVAILABLE : ErrorCode.INTERNAL, "pipeline '" + pipeline
                    + "': warehouse migration V" + version() + " (" + migration.description() + ") failed in schema '"
                    + schema + "': " + e.getMessage(), e);
        }
        LOG.info("pipeline '{}': applied warehouse migration V{} to schema '{}' in {} ms", pipeline, version(), schema,
                (System.nanoTime() - started) / 1_000_000);
        return List.of(version());
    }
}
