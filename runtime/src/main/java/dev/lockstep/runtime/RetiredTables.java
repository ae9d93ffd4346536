package dev.lockstep.runtime;

import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.migrations.plan.MigrationPlan;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tables of {@code <schema>_retired} — what deployments removed that the raw layer cannot give back — dropped
 * once they are older than the definition's {@code warehouse.keep_retired}. A deployment stamps each one's comment
 * {@code retired at <time>} when it creates it; a table without that stamp (made by hand) is never dropped.
 */
final class RetiredTables {

    private static final Logger LOG = LoggerFactory.getLogger(RetiredTables.class);

    /** How often a running pipeline looks for expired tables. */
    static final long SWEEP_NANOS = Duration.ofHours(1).toNanos();

    private long nextSweep = System.nanoTime();
    private CompletableFuture<Void> sweeping = CompletableFuture.completedFuture(null);

    /**
     * Drops, on {@code executor}, the expired retired tables of {@code definition}'s warehouse when an hour passed
     * since the last time (the first call does it at once); a failure is logged and tried again an hour later.
     */
    void sweepIfDue(DataSource warehouse, PipelineDefinition definition, Executor executor) {
        long now = System.nanoTime();
        if (now < nextSweep || !sweeping.isDone()) {
            return;
        }
        nextSweep = now + SWEEP_NANOS;
        sweeping = CompletableFuture.runAsync(() -> {
            try (Connection c = warehouse.getConnection()) {
                dropExpired(c, definition);
            } catch (SQLException | RuntimeException e) {
                LOG.warn("pipeline '{}': cannot drop the expired retired tables: {}", definition.pipeline(),
                        e.getMessage());
            }
        }, executor);
    }

    /** Drops the retired tables older than {@code keep_retired}, on {@code c} (auto-commit); returns their names. */
    static List<String> dropExpired(Connection c, PipelineDefinition definition) throws SQLException {
        String schema = MigrationPlan.retiredSchema(definition.warehouse().schema());
        Duration keep = definition.warehouse().keepRetired();
        List<String> expired = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT format('%I.%I', n.nspname, t.relname) FROM pg_class t "
                + "JOIN pg_namespace n ON n.oid = t.relnamespace, LATERAL (SELECT substring(obj_description(t.oid, "
                + "'pg_class') FROM '^retired at (.+)$') AS at) s WHERE n.nspname = ? AND t.relkind = 'r' AND s.at "
                + "IS NOT NULL AND s.at::timestamptz + make_interval(secs => ?) < now() ORDER BY 1")) {
            ps.setString(1, schema);
            ps.setLong(2, keep.toSeconds());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    expired.add(rs.getString(1));
                }
            }
        }
        for (String table : expired) {
            try (Statement s = c.createStatement()) {
                s.execute("SET lock_timeout = '5s'");
                s.execute("DROP TABLE " + table);
            }
            LOG.info("pipeline '{}': dropped retired table {}, older than warehouse.keep_retired ({})",
                    definition.pipeline(), table, keep);
        }
        return expired;
    }
}
