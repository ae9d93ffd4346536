package dev.lockstep.benchmarks.chaos;

import static java.util.Objects.requireNonNull;

import dev.lockstep.control.OffsetStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The {@code lockstep run} process of one chaos run — killed and restarted — and what the run observes of it: its
 * output, whether the initial snapshot was applied (then the workload starts, so that every source change is
 * streamed and the SCD 2 history must match the workload's record), and the warehouse's applied position.
 *
 * <p>Every wait has a deadline and fails with a {@link ChaosFailure} when it passes, when the process exits by itself
 * or when the workload fails. Not thread-safe: the run's main thread drives it.
 */
final class PipelineUnderTest implements AutoCloseable {

    static final String RUNNING = "Running pipeline";
    static final String SNAPSHOT_APPLIED = "Initial snapshot applied";
    static final String STOPPED = "Stopped pipeline";

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final Path jar;
    private final Path definition;
    private final Map<String, String> environment;
    private final Path directory;
    private final ShopLoad load;
    private final Connection warehouse;
    private final OffsetStore offsets;
    private final String pipeline;
    private final long startedNanos = System.nanoTime();
    private final List<String> startups = new ArrayList<>();
    private LockstepProcess current;
    private int started;
    private boolean startupSeen;
    private boolean snapshotApplied;
    private long seedCheckedMillis;
    private long loadStartedMillis = -1;

    PipelineUnderTest(Path jar, Path definition, Map<String, String> environment, Path directory, ShopLoad load,
            Connection warehouse, String pipeline) {
        this.jar = requireNonNull(jar, "jar");
        this.definition = requireNonNull(definition, "definition");
        this.environment = Map.copyOf(environment);
        this.directory = requireNonNull(directory, "directory");
        this.load = requireNonNull(load, "load");
        this.warehouse = requireNonNull(warehouse, "warehouse");
        this.pipeline = requireNonNull(pipeline, "pipeline");
        this.offsets = new OffsetStore(warehouse, pipeline);
    }

    /** Starts (or, after a kill, restarts) {@code lockstep run}. */
    void start() {
        started++;
        startupSeen = false;
        current = LockstepProcess.start(jar, environment, directory.resolve("lockstep-run-" + started + ".log"),
                "run", definition.toString(), "--progress", "log", "--log-every", "PT2S");
    }

    LockstepProcess current() {
        return current;
    }

    /** Returns ms since this run's first {@code lockstep run} was started: the time base of the report. */
    long millis() {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /** Returns {@code nanos}, a {@link System#nanoTime()}, in the time base of {@link #millis()}. */
    long millisAt(long nanos) {
        return (nanos - startedNanos) / 1_000_000;
    }

    /** Returns when the workload started, in {@link #millis()}; -1 while it has not. */
    long loadStartedMillis() {
        return loadStartedMillis;
    }

    /** Returns whether the current process printed "Running pipeline". */
    boolean running() {
        return current.printed(RUNNING);
    }

    boolean snapshotApplied() {
        return snapshotApplied;
    }

    /** Returns the phase the run is in now, as observed from here. */
    Phase observe() {
        poll();
        if (!running()) {
            return Phase.STARTUP;
        }
        if (!snapshotApplied) {
            return Phase.SNAPSHOT;
        }
        if (!load.ended()) {
            return Phase.STREAMING;
        }
        return caughtUp() ? Phase.CAUGHT_UP : Phase.CATCH_UP;
    }

    /** Returns true once the workload ended and the warehouse reflects its last transaction that changed rows. */
    boolean caughtUp() {
        return load.ended() && applied() >= load.lastPosition();
    }

    /** What one kill hit: when, in which phase as observed just before it, which pid, and its exit code. */
    record Hit(long atMillis, Phase observed, long pid, int exitCode) {}

    /**
     * Observes the phase, kills the current process with SIGKILL and restarts it at once. Fails when the process
     * had exited before the kill.
     */
    Hit killAndRestart() {
        Phase observed = observe();
        long at = millis();
        long pid = current.pid();
        int exit = current.kill();
        if (!startupSeen) {
            startups.add("killed before");
        }
        if (!snapshotApplied && current.printed(SNAPSHOT_APPLIED)) {
            snapshotApplied = true; // printed before the kill
        }
        start();
        return new Hit(at, observed, pid, exit);
    }

    /**
     * Polls until {@code condition} holds; fails with "{@code what} did not happen within {@code timeout}". Each
     * poll checks the process and the workload, and starts the workload once the snapshot is applied.
     */
    void await(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            poll();
            if (condition.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new ChaosFailure(what + " did not happen within " + seconds(timeout) + " (at " + millis()
                        / 1000 + " s; " + describe() + ")");
            }
            LockSupport.parkNanos(POLL_NANOS); // polling other processes' progress
        }
    }

    /** Waits {@code millis} ms, polling meanwhile. */
    void pause(long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        await(() -> System.nanoTime() >= until, Duration.ofMillis(millis + 60_000), "a pause");
    }

    /** Returns the commit LSN of the last source transaction the warehouse reflects; 0 before any. */
    long applied() {
        try {
            return offsets.readIfDeployed().map(stored -> stored.applied().commitLsn()).orElse(0L);
        } catch (SQLException e) {
            throw new ChaosFailure("cannot read the applied position: " + e.getMessage());
        }
    }

    /** Returns a short account of where the run stands, for failure messages. */
    String describe() {
        return String.format("process %d of this run (pid %d) %s; snapshot %s; workload %s, %,d changes",
                started, current.pid(), current.isAlive() ? (running() ? "running" : "starting") : "exited",
                snapshotApplied ? "applied" : "not applied", !load.started() ? "not started" : load.ended()
                        ? "ended" : "writing", load.changes());
    }

    /** Stops the current process with SIGTERM; returns its exit code, empty when it had to be killed. */
    Optional<Integer> stop(Duration timeout) {
        return current.stop(timeout);
    }

    @Override
    public void close() {
        if (current != null) {
            current.close();
        }
    }

    /** Returns how long each process took to print "Running pipeline", e.g. "4.1 s, killed before, 2.9 s". */
    String startupSeconds() {
        List<String> all = new ArrayList<>(startups);
        if (!startupSeen) {
            all.add("not yet");
        }
        return String.join(", ", all);
    }

    private void poll() {
        if (!startupSeen && current.printed(RUNNING)) {
            startupSeen = true;
            startups.add(String.format("%.1f s", current.millisSinceStart() / 1e3));
        }
        if (!current.isAlive()) {
            throw new ChaosFailure("lockstep run (pid " + current.pid() + ") exited by itself with code "
                    + current.exitCode() + "; see " + current.log());
        }
        if (!snapshotApplied && (current.printed(SNAPSHOT_APPLIED) || seedInWarehouse())) {
            snapshotApplied = true;
        }
        if (snapshotApplied && !load.started()) {
            load.start();
            loadStartedMillis = millis();
        }
        load.failure().ifPresent(e -> {
            throw new ChaosFailure("the workload failed: " + e);
        });
    }

    /**
     * Returns true when the raw layer holds every row of the seeded shop, checked at most once a second: the process
     * that applied the snapshot's last row may be killed before it printed {@value #SNAPSHOT_APPLIED}, and the next
     * one, resuming after that row, never prints it.
     */
    private boolean seedInWarehouse() {
        if (millis() - seedCheckedMillis < 1_000) {
            return false;
        }
        seedCheckedMillis = millis();
        String raw = pipeline + "_dw_raw.";
        try (PreparedStatement ps = warehouse.prepareStatement("SELECT (SELECT count(*) FROM " + raw + "customers WHERE "
                + "NOT _deleted) = ? AND (SELECT count(*) FROM " + raw + "products WHERE NOT _deleted) = ? AND (SELECT "
                + "count(*) FROM " + raw + "orders WHERE NOT _deleted) = ? AND (SELECT count(*) FROM " + raw
                + "order_items WHERE NOT _deleted) = ?")) {
            ps.setLong(1, ChaosRun.SHOP.customers());
            ps.setLong(2, ChaosRun.SHOP.products());
            ps.setLong(3, ChaosRun.SHOP.orders());
            ps.setLong(4, ChaosRun.SHOP.items());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException e) {
            return false; // the raw layer is not there yet
        }
    }

    private static String seconds(Duration duration) {
        return duration.toSeconds() + " s";
    }
}
