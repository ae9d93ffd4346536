package dev.lockstep.runtime;

import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.migrations.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deployment's new indexes ({@link MigrationPlan#indexes}), built with {@code CREATE INDEX CONCURRENTLY} on a
 * connection of their own outside any transaction: the stream's writes go on while each builds. An index of the same
 * name that a killed build left invalid is dropped (concurrently) and built again; one that exists valid is kept.
 */
final class ConcurrentIndexes {

    private static final Logger LOG = LoggerFactory.getLogger(ConcurrentIndexes.class);

    private ConcurrentIndexes() {}

    /** Builds {@code indexes} of deployment {@code version} of {@code pipeline} in {@code warehouse}. */
    static void build(DataSource warehouse, List<MigrationPlan.ConcurrentIndex> indexes, String pipeline, int version)
            throws SQLException {
        if (indexes.isEmpty()) {
            return;
        }
        try (Connection c = warehouse.getConnection()) {
            c.setAutoCommit(true);
            for (MigrationPlan.ConcurrentIndex index : indexes) {
                if (invalid(c, index)) {
                    LOG.info("pipeline '{}': deployment {}: dropping index {}.{}, left invalid by a build that did "
                            + "not finish", pipeline, version, index.schema(), index.name());
                    try (Statement s = c.createStatement()) {
                        s.execute("DROP INDEX CONCURRENTLY IF EXISTS " + SqlIdentifiers.quote(index.schema()) + "."
                                + SqlIdentifiers.quote(index.name()));
                    }
                }
                long started = System.nanoTime();
                try (Statement s = c.createStatement()) {
                    for (String statement : index.statements()) {
                        s.execute(statement);
                    }
                }
                LOG.info("pipeline '{}': deployment {}: index {}.{} built concurrently in {} ms", pipeline, version,
                        index.schema(), index.name(), (System.nanoTime() - started) / 1_000_000);
            }
        }
    }

    private static boolean invalid(Connection c, MigrationPlan.ConcurrentIndex index) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT NOT x.indisvalid FROM pg_index x JOIN pg_class i ON "
                + "i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = ? AND "
                + "i.relname = ?")) {
            ps.setString(1, index.schema());
            ps.setString(2, index.name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }
}
