package dev.lockstep.app;

import dev.lockstep.runtime.PipelineRun;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A command that runs until Ctrl-C: the JVM's shutdown hook asks it to stop, then waits until the command has
 * stopped what it runs (drained, committed, closed) and {@link #close() closed} this, so nothing is cut short.
 */
final class Foreground implements AutoCloseable {

    private final CountDownLatch done = new CountDownLatch(1);
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final Thread hook;

    private Foreground(String name) {
        hook = new Thread(() -> {
            stopRequested.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, name + "-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Installs the shutdown hook of a command named {@code name}. */
    static Foreground install(String name) {
        return new Foreground(name);
    }

    /** Waits until a stop was requested, {@code work} completed, or {@code interval} passed; true if stop requested. */
    boolean awaitStop(Future<?> work, Duration interval) throws InterruptedException {
        long deadline = System.nanoTime() + interval.toNanos();
        while (System.nanoTime() < deadline && !work.isDone()) {
            if (stopRequested.await(Math.min(50, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)),
                    TimeUnit.MILLISECONDS)) {
                return true;
            }
        }
        return stopRequested.getCount() == 0;
    }

    /**
     * Calls {@code render} once a second until a stop was requested (returns true) or {@code run} ended by itself
     * (returns false).
     */
    boolean show(PipelineRun run, Runnable render) throws InterruptedException {
        boolean stop = false;
        while (!stop && !run.completion().isDone()) {
            stop = awaitStop(run.completion(), Duration.ofSeconds(1));
            render.run();
        }
        return stop;
    }

    /**
     * Stops {@code run} cleanly and returns once it stopped; rethrows the failure it stopped with, as the CLI reports
     * it, after ending the progress line on {@code out}.
     */
    static void stop(PipelineRun run, PrintWriter out) throws InterruptedException {
        run.stop();
        try {
            run.completion().get();
        } catch (ExecutionException e) {
            out.println();
            throw PipelineRun.failure(e.getCause());
        }
    }

    /** Releases the shutdown hook: the command has stopped everything it ran. */
    @Override
    public void close() {
        done.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it returns now that done is counted down
        }
    }
}
