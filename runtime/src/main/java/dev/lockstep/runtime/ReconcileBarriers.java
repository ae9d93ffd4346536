package dev.lockstep.runtime;

import dev.lockstep.control.BarrierStore;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The applier's side of an exact reconcile, at its control point: a request in {@code lockstep.reconcile_barriers}
 * sets a barrier the stream stops before (the source snapshot's LSN); when the stream stopped at the first
 * transaction committed at or after it (reconcile commits one in the source right after its snapshot), the applier
 * has applied every transaction committed before it and none after: it exports a snapshot of the warehouse (on a
 * connection of its own, held open until reconcile imported it) and goes on. Requests are announced with NOTIFY on the applier's connection, which receives
 * them with the batches' own replies; without one it looks every second.
 */
final class ReconcileBarriers implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReconcileBarriers.class);

    private static final long LOOK_NANOS = Duration.ofSeconds(1).toNanos();
    /** How long an exported snapshot is kept importable at most. */
    private static final long HOLD_NANOS = Duration.ofMinutes(2).toNanos();

    private final Connection connection;
    private final DataSource warehouse;
    private final BarrierStore store;
    private boolean listening;
    private long nextLook;
    private BarrierStore.Request active;
    private Connection exporting;
    private long exportedId;
    private long exportedAt;

    ReconcileBarriers(Connection connection, DataSource warehouse, String pipeline) {
        this.connection = connection;
        this.warehouse = warehouse;
        this.store = new BarrierStore(connection, pipeline);
    }

    /** At the control point of {@code applier}: serves the reconcile requests that are due. */
    void step(WarehouseApplier applier) throws SQLException {
        if (!listening) {
            store.listen();
            connection.commit();
            listening = true;
        }
        boolean announced = announced();
        long now = System.nanoTime();
        releaseExported(false, announced || now >= nextLook);
        if (announced || now >= nextLook) {
            nextLook = now + LOOK_NANOS;
            Optional<BarrierStore.Request> pending = store.pending();
            connection.commit();
            if (pending.isPresent()) {
                set(applier, pending.get());
            } else if (active != null) {
                applier.barrier().clear(); // released or expired meanwhile
                active = null;
            }
        }
        if (active != null && applier.barrier().reached()) {
            export(applier);
        }
    }

    private void set(WarehouseApplier applier, BarrierStore.Request request) throws SQLException {
        if (active != null && active.id() == request.id()) {
            return;
        }
        if (applier.applied().commitLsn() >= request.barrierLsn()) {
            store.missed(request.id()); // reconcile takes another snapshot of the source
            connection.commit();
            return;
        }
        applier.barrier().set(request.barrierLsn());
        active = request;
    }

    private void export(WarehouseApplier applier) throws SQLException {
        releaseExported(true, false);
        exporting = warehouse.getConnection();
        exporting.setAutoCommit(false);
        exporting.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        String snapshot;
        try (Statement s = exporting.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_export_snapshot()")) {
            rs.next();
            snapshot = rs.getString(1);
        }
        store.held(active.id(), snapshot, applier.applied());
        connection.commit();
        LOG.info("reconcile barrier {}: the warehouse at {} exported as snapshot {}", active.id(), applier.applied(),
                snapshot);
        exportedId = active.id();
        exportedAt = System.nanoTime();
        applier.barrier().clear();
        active = null;
    }

    /**
     * Ends the exported snapshot's transaction once reconcile released it ({@code look}: read whether it did), it
     * expired, or {@code now}.
     */
    private void releaseExported(boolean now, boolean look) throws SQLException {
        if (exporting == null) {
            return;
        }
        boolean expired = System.nanoTime() - exportedAt > HOLD_NANOS;
        if (now || expired || look && !heldStill()) {
            if (expired) {
                store.release(exportedId);
                connection.commit();
            }
            exporting.rollback();
            exporting.close();
            exporting = null;
        }
    }

    private boolean heldStill() throws SQLException {
        boolean held = store.held(exportedId);
        connection.commit();
        return held;
    }

    /** Tells whether a request was announced on the connection (received with earlier replies; no round trip). */
    private boolean announced() throws SQLException {
        PGNotification[] notifications = connection.unwrap(PGConnection.class).getNotifications();
        return notifications != null && notifications.length > 0;
    }

    @Override
    public void close() {
        if (exporting != null) {
            try {
                exporting.close();
            } catch (SQLException e) {
                LOG.debug("closing the exported snapshot's connection", e);
            }
        }
    }
}
