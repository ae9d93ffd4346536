package dev.lockstep.peer;

import dev.lockstep.benchmarks.AppliedPosition;
import dev.lockstep.runtime.LockstepEngine;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * Lockstep as the e2e benchmark runs it: {@code examples/shop/pipeline.yaml} through {@link LockstepEngine}, in this
 * JVM, into the {@code warehouse} database's star schema. A marker is visible once the warehouse's applied commit
 * position ({@code lockstep.offsets}, written in the star schema's transaction) passed it; a probe once its customer
 * is in {@code shop_dw.dim_customer}.
 */
final class LockstepSide implements Side {

    private final Path definition;
    private final Map<String, String> environment;
    private final String bootstrapServers;
    private final AppliedPosition pipeline;
    private final PreparedStatement probe;
    private LockstepEngine run;

    LockstepSide(Path definition, Map<String, String> environment, String bootstrapServers, Connection warehouse)
            throws SQLException {
        this.definition = definition;
        this.environment = environment;
        this.bootstrapServers = bootstrapServers;
        this.pipeline = new AppliedPosition(warehouse, 2);
        this.probe = warehouse.prepareStatement("SELECT coalesce(max(id), 0) FROM shop_dw.dim_customer WHERE id >= ?");
        this.probe.setLong(1, SourceRows.PROBE_BASE);
    }

    @Override
    public String name() {
        return "Lockstep";
    }

    /** Deploys, snapshots the seed ({@code snapshotRows} rows), applies {@code marker}'s transaction and stops. */
    void firstRun(long snapshotRows, SourceRows source) throws Exception {
        start();
        pipeline.awaitSnapshot(run, snapshotRows);
        SourceRows.Marker marker = source.marker();
        pipeline.awaitApplied(run, marker.lsn(), () -> { });
        stop();
    }

    @Override
    public void start() {
        run = LockstepEngine.builder(definition).environment(environment::get).kafka(bootstrapServers).start();
    }

    @Override
    public boolean reflects(SourceRows.Marker marker) throws SQLException {
        return pipeline.applied() >= marker.lsn();
    }

    @Override
    public long lastProbe() throws SQLException {
        try (ResultSet rs = probe.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void checkAlive() {
        if (run != null && run.completion().isCompletedExceptionally()) {
            try {
                run.completion().join();
            } catch (CompletionException e) {
                throw new IllegalStateException("Lockstep's pipeline failed: " + e.getCause(), e.getCause());
            }
        }
    }

    @Override
    public void stop() {
        if (run != null) {
            run.close();
            run = null;
        }
    }
}
