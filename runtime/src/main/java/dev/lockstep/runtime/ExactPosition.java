package dev.lockstep.runtime;

import static java.util.Objects.requireNonNull;

import dev.lockstep.connectors.ExportedSnapshot;
import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.control.ApplyLease;
import dev.lockstep.control.BarrierStore;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.stream.StreamPosition;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source and the warehouse open at one exact stream position, for {@code lockstep reconcile} while the pipeline
 * runs: the source in a snapshot whose LSN a temporary replication slot gave ({@link ExportedSnapshot}), the
 * warehouse in the snapshot the running applier exported at its control point when it had applied every source
 * transaction committed before that LSN and none after ({@link ReconcileBarriers}). Both connections are read-only
 * REPEATABLE READ transactions; closing this closes them.
 *
 * @param source the source's connection, in the snapshot at {@code lsn}
 * @param warehouse the warehouse's connection, in the snapshot at the same position
 * @param lsn the source snapshot's LSN
 * @param applied the position of the last source transaction the warehouse snapshot holds
 */
public record ExactPosition(Connection source, Connection warehouse, long lsn, StreamPosition applied)
        implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExactPosition.class);
    private static final Duration POLL = Duration.ofMillis(50);
    private static final int ATTEMPTS = 5;

    public ExactPosition {
        requireNonNull(source, "source");
        requireNonNull(warehouse, "warehouse");
        requireNonNull(applied, "applied");
    }

    /**
     * Opens both sides of {@code definition}'s pipeline at one position, waiting at most {@code timeout} for the
     * applier to reach it; empty when no apply stage runs the pipeline (its apply lease is free): then nothing moves
     * the warehouse, and the caller compares it as it stands.
     *
     * @throws LockstepException ({@link ErrorCode#UNAVAILABLE}) when the applier did not reach the position in
     *     time (the message says how far it got)
     */
    public static Optional<ExactPosition> open(PipelineDefinition definition, ExtractSettings settings,
            Duration timeout) throws SQLException {
        String pipeline = definition.pipeline();
        DataSource warehouse = WarehouseDeployment.dataSource(definition.warehouse().postgres());
        try (Connection control = warehouse.getConnection()) {
            if (ApplyLease.isFree(control, pipeline)) {
                return Optional.empty();
            }
            BarrierStore barriers = new BarrierStore(control, pipeline);
            long deadline = System.nanoTime() + timeout.toNanos();
            for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
                Connection source = PostgresConnections.open(definition.source().postgres(), "lockstep reconcile");
                source.setAutoCommit(false);
                boolean handed = false;
                try {
                    long lsn = ExportedSnapshot.importInto(settings, source);
                    long id = barriers.request(lsn);
                    ExportedSnapshot.markAfter(settings); // the first transaction after it: where the stream stops
                    Optional<ExactPosition> opened = await(definition, settings, barriers, id, source, lsn, deadline);
                    if (opened.isPresent()) {
                        handed = true;
                        return opened;
                    }
                    LOG.info("pipeline '{}': the applier was past {} when it saw the request; taking the source "
                            + "snapshot again (attempt {} of {})", pipeline, StreamPosition.formatLsn(lsn), attempt,
                            ATTEMPTS);
                } finally {
                    if (!handed) {
                        source.close();
                    }
                }
            }
            throw new LockstepException(ErrorCode.UNAVAILABLE, "pipeline " + pipeline + ": the applier was past the "
                    + "source snapshot's position every time it saw the request (" + ATTEMPTS + " attempts)");
        }
    }

    /** Waits for request {@code id}: held (returns both sides), missed (empty), or the deadline (throws). */
    private static Optional<ExactPosition> await(PipelineDefinition definition, ExtractSettings settings,
            BarrierStore barriers, long id, Connection source, long lsn, long deadline) throws SQLException {
        while (System.nanoTime() < deadline) {
            BarrierStore.Served served = barriers.served(id);
            if (served.state().equals("held")) {
                Connection warehouse = PostgresConnections.open(definition.warehouse().postgres(),
                        "lockstep reconcile");
                try {
                    warehouse.setAutoCommit(false);
                    warehouse.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                    try (Statement s = warehouse.createStatement()) {
                        s.execute("SET TRANSACTION SNAPSHOT '" + served.snapshot().orElseThrow().replace("'", "''")
                                + "'");
                    }
                } catch (SQLException | RuntimeException e) {
                    warehouse.close();
                    throw e;
                } finally {
                    barriers.release(id);
                }
                return Optional.of(new ExactPosition(source, warehouse, lsn, served.applied().orElseThrow()));
            }
            if (served.state().equals("missed")) {
                return Optional.empty();
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        barriers.release(id);
        throw new LockstepException(ErrorCode.UNAVAILABLE, "pipeline " + definition.pipeline() + ": the applier did "
                + "not reach the source snapshot's position " + StreamPosition.formatLsn(lsn) + " in time (is the "
                + "extract running?)");
    }

    @Override
    public void close() throws SQLException {
        try {
            source.close();
        } finally {
            warehouse.close();
        }
    }
}
