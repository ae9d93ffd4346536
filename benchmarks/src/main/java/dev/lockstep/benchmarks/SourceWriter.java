package dev.lockstep.benchmarks;

import dev.lockstep.shop.ShopWorkload;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Writes the shop's workload to the source, paced or as fast as it goes, and tracks each source transaction's WAL
 * position and commit time ({@link TrackedCommits}) for the benchmarks that time the warehouse reflecting it.
 */
public final class SourceWriter {

    private SourceWriter() {}

    /** A source transaction the warehouse must reflect: its tracked WAL position, commit time and row changes. */
    public record Commit(long lsn, long committedNanos, int changes) {}

    /** What a writer committed: row changes, transactions, and the last transaction that changed rows. */
    public record Written(long changes, long transactions, Commit last, long nanos) {}

    /**
     * Commits workload transactions until {@code changes} row changes are written, at about {@code rate} changes/s
     * (0: as fast as the source takes them) or until {@code stop}; hands each transaction that changed rows to
     * {@code committed} (one that changed none commits nothing the warehouse could reflect).
     */
    public static Written write(ShopWorkload workload, TrackedCommits source, long changes, double rate,
            BooleanSupplier stop, Consumer<Commit> committed) throws SQLException {
        long started = System.nanoTime();
        long written = 0;
        long transactions = 0;
        Commit last = null;
        while (written < changes && !stop.getAsBoolean()) {
            ShopWorkload.Step step = workload.step(source.connection());
            transactions++;
            if (step.changes() > 0) {
                last = new Commit(source.lastLsn(), source.lastCommitNanos(), step.changes());
                committed.accept(last);
                written += step.changes();
            }
            if (rate > 0) {
                long wait = started + (long) (written / rate * 1e9) - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait); // pacing the writer
                }
            }
        }
        return new Written(written, transactions, last, System.nanoTime() - started);
    }

    /**
     * Waits until the WAL written so far is on disk (the WAL writer flushes asynchronous commits within a few hundred
     * ms), so that the slots can stream all of it from the start.
     */
    public static void awaitFlushed(Connection c, long lsn) throws Exception {
        try (PreparedStatement flushed = c.prepareStatement("SELECT pg_current_wal_flush_lsn() - '0/0'::pg_lsn >= ?")) {
            flushed.setLong(1, lsn);
            for (int i = 0; i < 500; i++) {
                try (ResultSet rs = flushed.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return;
                    }
                }
                TimeUnit.MILLISECONDS.sleep(10);
            }
        }
    }
}
