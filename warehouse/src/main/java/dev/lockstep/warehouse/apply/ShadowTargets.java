package dev.lockstep.warehouse.apply;

import dev.lockstep.warehouse.star.ColumnRebuild;
import dev.lockstep.warehouse.star.StarLoader;
import dev.lockstep.warehouse.star.StarSchema;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A deployment's new dimensions and facts, loaded by a {@link WarehouseApplier} — a new dimension into its table,
 * created at expand (no fact refers to it before the switch), a new fact into a shadow table that the switch renames
 * into place: every batch loads the rows it touches (see {@code StarLoader.loadShadowTargets}), and control-point
 * chunks backfill the rows the raw layer already holds, each in a warehouse transaction of its own.
 */
public final class ShadowTargets {

    private final WarehouseApplier applier;
    private final Connection connection;
    private final StarLoader star;

    ShadowTargets(WarehouseApplier applier, Connection connection, StarLoader star) {
        if (star == null) {
            throw new IllegalStateException("loading new targets needs the star schema");
        }
        this.applier = applier;
        this.connection = connection;
        this.star = star;
    }

    /**
     * At a control point, has each batch from now on also load the new targets {@code tables} names (target to
     * table) of a deployment's next version {@code next}; none: stops it.
     */
    public void load(StarSchema next, Map<String, String> tables) throws SQLException {
        applier.requireControlPoint("load a deployment's new targets");
        try {
            star.loadShadowTargets(next, tables);
            applier.commit();
        } catch (SQLException | RuntimeException e) {
            star.drainFilledWorkTables();
            connection.rollback(); // the work tables created go with it; the loader forgot them
            throw e;
        }
    }

    /** Returns the last source key the backfill of new target {@code target} covers (empty: its table is empty). */
    public Optional<List<String>> end(String target) throws SQLException {
        applier.requireControlPoint("read where a backfill ends");
        Optional<List<String>> end = star.backfillEnd(target);
        connection.commit();
        return end;
    }

    /**
     * At a control point, loads one chunk of new target {@code target}'s existing rows from the raw layer (see
     * {@code StarLoader.backfill}) and commits it; a failure rolls it back.
     */
    public ColumnRebuild.Chunk backfill(String target, Optional<List<String>> after, List<String> upTo, int rows)
            throws SQLException {
        applier.requireControlPoint("backfill a new target");
        try {
            ColumnRebuild.Chunk chunk = star.backfill(target, after, upTo, rows);
            applier.commit();
            star.committed();
            return chunk;
        } catch (SQLException | RuntimeException e) {
            star.drainFilledWorkTables();
            connection.rollback();
            throw e;
        }
    }
}
