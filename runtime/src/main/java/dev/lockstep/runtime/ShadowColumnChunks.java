package dev.lockstep.runtime;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A deployment's shadow-column rebuild chunks, run one after the other on a thread of their own beside the running
 * applier's batches (each in its own transaction on the steps' connection), until a new fact's rebuild comes next,
 * every rebuild is done, or {@link #stop}. Each chunk is sized to about {@link #BUDGET_NANOS} from the pace of the one
 * before: the row locks it holds make a batch that changes one of its rows wait at most that long. A chunk that
 * waited too long for a row a batch holds is rolled back and run again after a pause as long as it waited. While the
 * stream is behind ({@link #streamBehind}), the next chunk waits, at most {@link #MAX_PAUSE_MILLIS}, so that the
 * warehouse's CPU goes to the batches until they caught up. Measured, 1M lines: chunks started one per control point
 * kept their connection busy a third of the time (docs/BENCHMARKS.md, "Deployment").
 */
final class ShadowColumnChunks {

    /** About how long one chunk runs (a new fact's at a control point too: the stall it adds to the next batch). */
    static final long BUDGET_NANOS = Duration.ofMillis(100).toNanos();
    static final int MIN_ROWS = 100;
    /** A stream lag ({@link #lagged}) over this: the stream is behind. */
    static final long BEHIND_MILLIS = 300;
    static final long MAX_PAUSE_MILLIS = 500;

    private final DeploymentSteps steps;
    private final int maxRows;
    private final AtomicBoolean stop = new AtomicBoolean();
    private volatile boolean streamBehind;
    private volatile int size;
    private volatile String progress = "";

    /** Chunks of {@code steps}, the first of {@code size} source rows, none over {@code maxRows}. */
    ShadowColumnChunks(DeploymentSteps steps, int size, int maxRows) {
        this.steps = steps;
        this.size = size;
        this.maxRows = maxRows;
    }

    /** Starts the chunks on {@code executor}; the future ends when they stopped, failed or are done. */
    CompletableFuture<Void> start(Executor executor) {
        return CompletableFuture.runAsync(() -> {
            try {
                run();
            } catch (SQLException e) {
                throw new CompletionException(e);
            }
        }, executor);
    }

    /** Tells the chunks how far behind the stream the applier is ({@link LiveDeployment#streamLag}). */
    void lagged(long millis) {
        streamBehind = millis > BEHIND_MILLIS;
    }

    /** Stops the chunks after the one under way. */
    void stop() {
        stop.set(true);
    }

    /** Returns the source rows the next chunk would have. */
    int size() {
        return size;
    }

    /** Returns the rebuild's progress, as the last chunk left it (empty before the first). */
    String progress() {
        return progress;
    }

    private void run() throws SQLException {
        while (!stop.get() && steps.columnNext()) {
            for (long paused = 0; streamBehind && paused < MAX_PAUSE_MILLIS && !stop.get(); paused += 5) {
                if (!sleep(5)) {
                    return;
                }
            }
            long started = System.nanoTime();
            try {
                steps.rebuildChunk(size, null, true);
            } catch (SQLException e) {
                if (!"55P03".equals(e.getSQLState()) || !sleep((System.nanoTime() - started) / 1_000_000)) {
                    throw e;
                }
                continue;
            }
            size = nextRows(size, System.nanoTime() - started, maxRows);
            progress = steps.progress();
        }
    }

    /**
     * Returns the rows of the next chunk after one of {@code size} rows took {@code took} ns: about
     * {@link #BUDGET_NANOS}' worth at that pace, at most twice as many as before, at least {@link #MIN_ROWS} and at
     * most {@code maxRows}.
     */
    static int nextRows(int size, long took, int maxRows) {
        long fits = size * BUDGET_NANOS / Math.max(1, took);
        return (int) Math.min(maxRows, Math.max(MIN_ROWS, Math.min(2L * size, fits)));
    }

    /** Sleeps {@code millis} (at least 1); false when interrupted. */
    private static boolean sleep(long millis) {
        try {
            Thread.sleep(Math.max(1, millis));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
