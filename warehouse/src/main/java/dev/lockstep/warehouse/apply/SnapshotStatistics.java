package dev.lockstep.warehouse.apply;

import dev.lockstep.core.stream.TableId;
import dev.lockstep.warehouse.raw.RawLayerDdl;
import dev.lockstep.warehouse.star.StarLoader;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gathers statistics of the raw and star tables once an initial snapshot is in, in a transaction of its own: the
 * planner otherwise sizes tables filled in bulk from guesses (a dimension never analyzed is estimated at 0.5 % current
 * rows) until autovacuum analyzes them, and the applier's statements, prepared once, keep plans made from those
 * guesses until statistics change.
 */
final class SnapshotStatistics {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStatistics.class);

    private SnapshotStatistics() {}

    /**
     * Analyzes the raw tables of {@code sources} in {@code warehouseSchema} and the star loader's tables (when there
     * is one) on {@code connection}, between two batches, and commits. A failure is logged and rolled back: the batch
     * is committed, and autovacuum analyzes the tables in time.
     */
    static void analyze(Connection connection, String pipeline, String warehouseSchema, Set<TableId> sources,
            StarLoader star) {
        long started = System.nanoTime();
        List<String> tables = new ArrayList<>();
        sources.forEach(table -> tables.add(RawLayerDdl.qualified(warehouseSchema, table)));
        if (star != null) {
            tables.addAll(star.tables());
        }
        try (Statement st = connection.createStatement()) {
            // SKIP_LOCKED: a deployment's migration may hold a table against autovacuum (and ANALYZE) until the
            // applier's next control point, which a wait here would never reach.
            st.execute("ANALYZE (SKIP_LOCKED) " + String.join(", ", tables));
            connection.commit();
            LOG.info("Pipeline {}: initial snapshot applied; analyzed {} warehouse table(s) in {} ms", pipeline,
                    tables.size(), (System.nanoTime() - started) / 1_000_000);
        } catch (SQLException e) {
            try {
                connection.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            LOG.warn("Pipeline {}: analyzing the warehouse tables after the initial snapshot failed (autovacuum "
                    + "will): {}", pipeline, e.getMessage());
        }
    }
}
