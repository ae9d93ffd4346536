package dev.lockstep.peer;

import java.sql.SQLException;

/**
 * One pipeline under measurement, from the source to its target database: started and stopped between phases, and
 * asked, by reading its target, whether a change committed on the source is visible there yet.
 *
 * <p>Not thread-safe: one benchmark thread calls it.
 */
interface Side extends AutoCloseable {

    /** Returns "Lockstep" or "peer". */
    String name();

    /** Starts the pipeline; returns once it was asked to run (not once it caught up). */
    void start() throws Exception;

    /** Returns true once every row of {@code marker}'s transaction is visible in the target. */
    boolean reflects(SourceRows.Marker marker) throws SQLException;

    /** Returns the highest probe id visible in the target, or 0. */
    long lastProbe() throws SQLException;

    /** Throws when the pipeline failed. */
    void checkAlive();

    /** Stops the pipeline; nothing of it runs once this returns. Idempotent. */
    void stop() throws Exception;

    @Override
    default void close() throws Exception {
        stop();
    }
}
