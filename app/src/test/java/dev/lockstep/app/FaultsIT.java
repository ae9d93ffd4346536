package dev.lockstep.app;

import static org.awaitility.Awaitility.await;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.embedded.testing.ChildJvm;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.shop.AlertsWebhook;
import dev.lockstep.shop.ShopDatabase;
import dev.lockstep.shop.ShopWorkload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceAccessMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue #14 point 5, other faults: {@code lockstep run} under the shop workload (~300 changes/s) while the Kafka
 * broker stops for 30 s, while the warehouse PostgreSQL stops for 30 s, and while the source PostgreSQL restarts. The
 * run must pause, resume by itself, and {@code lockstep reconcile} must then pass exactly. {@code lockstep apply} run
 * alone (beside {@code lockstep extract}) must do the same when the warehouse stops.
 *
 * A fault that outlasts the pipeline's deadline must stop the run by itself, with exit code 3 and a message naming
 * what is unreachable.
 *
 * <p>The scenarios that stop a PostgreSQL server of their own run side by side (their outages overlap); the
 * broker's, which every scenario uses, runs alone ({@link #SHARED}).
 *
 * <p>Each scenario writes what it saw — the run's output from the fault on, stamped with seconds since the fault,
 * its exit code, reconcile's table — to {@code target/faults/<scenario>.txt}.
 */
class FaultsIT {

    /** The broker every scenario uses: the scenario that stops it runs alone. */
    private static final String SHARED = "faults-shared-services";

    @RegisterExtension
    static final ServicesExtension services = ServicesExtension.ownEmbedded()
            .withSeparateServer("warehouse_broker", "warehouse_source")
            // One server per scenario that stops a server of its own: they run side by side.
            .withSeparateServer("source_source")
            .withSeparateServer("warehouse_warehouse")
            .withSeparateServer("warehouse_longwarehouse")
            .withSeparateServer("warehouse_applyalone");

    private static final double RATE = 300;
    private static final Duration OUTAGE = Duration.ofSeconds(30);
    /** Longer than {@link #DEADLINE}: the run must give up by itself, not wait for the system to come back. */
    private static final Duration LONG_OUTAGE = Duration.ofSeconds(40);
    private static final Duration DEADLINE = Duration.ofSeconds(15);
    private static final Path REPORTS = Path.of("target", "faults");

    private static AlertsWebhook webhook;
    private static ShopRuns runs;

    @BeforeAll
    static void startWebhook() {
        webhook = AlertsWebhook.start();
        runs = new ShopRuns(services, webhook);
    }

    @AfterAll
    static void stopWebhook() {
        webhook.close();
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    @ResourceLock(value = SHARED, mode = ResourceAccessMode.READ_WRITE)
    void shouldPauseAndResumeWhenTheBrokerStopsFor30Seconds(@TempDir Path dir) throws Exception {
        Scenario scenario = new Scenario("broker", dir);
        scenario.run(() -> {
            services.kafka().stopKeepingData();
            scenario.hold(OUTAGE);
            services.kafka().start();
        });
        scenario.assertSurvived();
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    @ResourceLock(value = SHARED, mode = ResourceAccessMode.READ)
    void shouldPauseAndResumeWhenTheWarehouseStopsFor30Seconds(@TempDir Path dir) throws Exception {
        Scenario scenario = new Scenario("warehouse", dir);
        scenario.run(() -> {
            services.postgres(scenario.warehouse).stopKeepingData();
            scenario.hold(OUTAGE);
            services.postgres(scenario.warehouse).start();
        });
        scenario.assertSurvived();
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    @ResourceLock(value = SHARED, mode = ResourceAccessMode.READ)
    void shouldStopWithAClearMessageWhenTheWarehouseOutlastsTheDeadline(@TempDir Path dir) throws Exception {
        Scenario scenario = new Scenario("longwarehouse", dir, "--fault-deadline", DEADLINE.toString());
        scenario.run(() -> {
            services.postgres(scenario.warehouse).stopKeepingData();
            scenario.hold(LONG_OUTAGE);
            services.postgres(scenario.warehouse).start();
        });
        scenario.assertStoppedByItself("the warehouse");
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    @ResourceLock(value = SHARED, mode = ResourceAccessMode.READ)
    void shouldPauseAndResumeApplyAloneWhenTheWarehouseStopsFor30Seconds(@TempDir Path dir) throws Exception {
        Scenario scenario = new Scenario("applyalone", dir).split();
        scenario.run(() -> {
            services.postgres(scenario.warehouse).stopKeepingData();
            scenario.hold(OUTAGE);
            services.postgres(scenario.warehouse).start();
        });
        scenario.assertSurvived();
    }

    @Test
    @Execution(ExecutionMode.CONCURRENT)
    @ResourceLock(value = SHARED, mode = ResourceAccessMode.READ)
    void shouldResumeWhenTheSourceRestarts(@TempDir Path dir) throws Exception {
        Scenario scenario = new Scenario("source", dir);
        scenario.run(() -> {
            scenario.writer.pause(); // the workload's mirror must not lose a transaction cut short by the restart
            services.postgres(scenario.source).stopKeepingData();
            scenario.hold(Duration.ofSeconds(3));
            services.postgres(scenario.source).start();
            scenario.writer.resume();
        });
        scenario.assertSurvived();
    }

    /** One pipeline of its own (source, warehouse, topics), a fault in the middle of its workload, and what it did. */
    private static final class Scenario {
        final String name;
        final String pipeline;
        final String source;
        final String warehouse;
        final Path definition;
        final Path report;
        final String[] runOptions;
        final List<String> observed = new CopyOnWriteArrayList<>();
        Writer writer;
        volatile ChildJvm run;
        Thread watcher;
        long faultAt;
        Integer exitDuringFault;
        Integer exitAfterFault;
        int reconcileExit = -1;
        boolean restartedByHand;
        /** {@code lockstep extract} and {@code lockstep apply} as two processes instead of {@code lockstep run}. */
        boolean split;
        /** The extract's process when {@link #split}; {@link #run} is then the apply stage's. */
        ChildJvm extract;

        Scenario(String name, Path dir, String... runOptions) throws Exception {
            this.name = name;
            this.runOptions = runOptions;
            this.pipeline = "shop" + name;
            this.source = "source_" + name;
            this.warehouse = "warehouse_" + name;
            this.definition = ShopRuns.renamed(dir, pipeline);
            this.report = REPORTS.resolve(name + ".txt");
        }

        Scenario split() {
            split = true;
            return this;
        }

        void run(Runnable fault) throws Exception {
            ShopDatabase shop = new ShopDatabase(400, 60, 500);
            try (Connection c = services.connect(source)) {
                shop.create(c);
            }
            services.database(warehouse);
            writer = new Writer(new ShopWorkload(shop, 20261203), source);
            run = startRun();
            try {
                run.awaitLine(l -> l.startsWith("Initial snapshot applied"), Duration.ofMinutes(2));
                writer.start();
                await().atMost(Duration.ofMinutes(1)).until(() -> writer.workload.changes() >= 1_000);
                faultAt = System.nanoTime();
                note("fault starts; run output from here on, in seconds since then");
                watcher = watch(run.output().size());
                fault.run();
                note("fault over (workload at " + writer.workload.changes() + " changes)");
                long resumeFrom = writer.workload.changes();
                await().atMost(Duration.ofMinutes(2)).until(() -> writer.workload.changes() >= resumeFrom + 1_500
                        || !run.isAlive() || writer.failure.get() != null);
                writer.close();
                note("workload stopped at " + writer.workload.changes() + " changes; writer failure: "
                        + writer.failure.get());
                exitAfterFault = run.isAlive() ? null : run.awaitExitCode(Duration.ZERO);
                if (!run.isAlive()) {
                    note("run had exited with " + exitAfterFault + "; starting it again by hand");
                    restartedByHand = true;
                    run = startRun();
                }
                reconcile();
                int stopped = run.stop(Duration.ofMinutes(2));
                note("run stopped with SIGTERM: exit " + stopped + "; last line: " + last(run.output()));
            } finally {
                if (watcher != null) {
                    watcher.interrupt();
                }
                writer.close();
                run.close();
                if (extract != null) {
                    extract.close();
                }
                Files.createDirectories(REPORTS);
                Files.write(report, observed);
                observed.forEach(l -> System.out.println("FAULTS " + name + " | " + l));
            }
        }

        /** Keeps the fault on for {@code duration}, noting when the run exits meanwhile (by itself). */
        void hold(Duration duration) {
            long until = System.nanoTime() + duration.toNanos();
            try {
                Optional<ProcessHandle> process = ProcessHandle.of(run.pid());
                if (process.isPresent()) {
                    process.get().onExit().get(duration.toMillis(), TimeUnit.MILLISECONDS);
                }
                exitDuringFault = run.awaitExitCode(Duration.ofSeconds(5));
                note("run exited during the fault with " + exitDuringFault);
                LockSupport.parkNanos(until - System.nanoTime()); // the outage lasts on
            } catch (TimeoutException stillRunning) {
                note("run still alive after " + duration.toSeconds() + " s of fault");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }

        void assertSurvived() {
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(exitDuringFault).as("exit code of the run during the fault (null: kept running)").isNull();
            soft.assertThat(restartedByHand).as("the run had to be started again by hand").isFalse();
            soft.assertThat(reconcileExit).as("reconcile's exit code (0 exact, 5 differences, 6 not caught up)")
                    .isZero();
            soft.assertThat(observed).as("a status line while paused").anyMatch(l -> l.contains("paused"));
            soft.assertAll();
        }

        void assertStoppedByItself(String unreachable) {
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(exitDuringFault).as("exit code of the run during the fault (null: kept running)")
                    .isEqualTo(ErrorCode.UNAVAILABLE.exitCode());
            soft.assertThat(observed).as("the run's last word").anyMatch(l -> l.contains("error: ")
                    && l.contains(unreachable) && l.contains("unreachable"));
            soft.assertThat(observed).as("what the warehouse kept, said once").anyMatch(l -> l.matches(".*; the "
                    + "warehouse holds everything up to [0-9A-F]+/[0-9A-F]+#\\d+ and the next run resumes there.*"));
            soft.assertThat(reconcileExit).as("reconcile's exit code after the restart by hand").isZero();
            soft.assertAll();
        }

        private void reconcile() {
            try (ChildJvm reconcile = child("reconcile", definition.toString(), "--timeout", "PT3M")) {
                reconcileExit = reconcile.awaitExitCode(Duration.ofMinutes(5));
                note("reconcile exit " + reconcileExit + (restartedByHand ? " (after the restart by hand)" : ""));
                reconcile.output().stream().filter(l -> !l.contains(" DEBUG ") && !l.contains(" INFO "))
                        .forEach(l -> note("  reconcile: " + l));
            }
        }

        private Thread watch(int from) {
            Thread watcher = new Thread(() -> {
                int seen = from;
                ChildJvm current = run;
                while (!Thread.currentThread().isInterrupted()) {
                    if (current != run) {
                        current = run;
                        seen = 0;
                    }
                    List<String> lines = current.output();
                    for (int i = seen; i < lines.size(); i++) {
                        note("  run: " + lines.get(i));
                    }
                    seen = lines.size();
                    LockSupport.parkNanos(Duration.ofMillis(500).toNanos()); // sampling the child's log
                }
            }, "faults-watcher-" + name);
            watcher.setDaemon(true);
            watcher.start();
            return watcher;
        }

        private void note(String line) {
            observed.add(String.format("%7.1f %s", (System.nanoTime() - faultAt) / 1e9, line));
        }

        private ChildJvm startRun() {
            if (split) {
                if (extract == null) {
                    extract = child(withOptions("extract", definition.toString()));
                    extract.awaitLine(l -> l.startsWith("Extracting pipeline"), Duration.ofMinutes(2));
                }
                ChildJvm apply = child(withOptions("apply", definition.toString()));
                apply.awaitLine(l -> l.startsWith("Applying pipeline"), Duration.ofMinutes(2));
                return apply;
            }
            List<String> args = new ArrayList<>(List.of("run", definition.toString(), "--progress", "log",
                    "--log-every", "PT2S"));
            args.addAll(List.of(runOptions));
            ChildJvm child = child(args.toArray(String[]::new));
            child.awaitLine(l -> l.startsWith("Running pipeline"), Duration.ofMinutes(2));
            return child;
        }

        private String[] withOptions(String... args) {
            List<String> all = new ArrayList<>(List.of(args));
            all.addAll(List.of(runOptions));
            return all.toArray(String[]::new);
        }

        private ChildJvm child(String... args) {
            return runs.child(source, warehouse, Map.of(), args);
        }

        private static String last(List<String> lines) {
            return lines.isEmpty() ? "(none)" : lines.get(lines.size() - 1);
        }
    }

    /**
     * The shop workload on its own thread at {@value #RATE} changes/s; it can pause between two source transactions
     * (and then reconnects), so that a source restart never cuts one short behind the workload's mirror.
     */
    private static final class Writer implements AutoCloseable {
        final ShopWorkload workload;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final String database;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicBoolean pause = new AtomicBoolean();
        private final AtomicBoolean idle = new AtomicBoolean();
        private Thread thread;

        Writer(ShopWorkload workload, String database) {
            this.workload = workload;
            this.database = database;
        }

        void start() {
            thread = new Thread(this::write, "shop-workload-" + database);
            thread.start();
        }

        void pause() {
            pause.set(true);
            await().atMost(Duration.ofSeconds(30)).untilTrue(idle);
        }

        void resume() {
            pause.set(false);
        }

        private void write() {
            Connection c = null;
            long started = System.nanoTime();
            long written = 0;
            try {
                while (!stop.get()) {
                    if (pause.get()) {
                        c = closed(c);
                        idle.set(true);
                        LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // pacing the idle writer
                        started = System.nanoTime();
                        written = 0;
                        continue;
                    }
                    idle.set(false);
                    if (c == null) {
                        c = services.connect(database);
                    }
                    written += workload.step(c).changes();
                    long wait = started + (long) (written / RATE * 1e9) - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait); // pacing the writer, not waiting for a result
                    }
                }
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                closed(c);
            }
        }

        private static Connection closed(Connection c) {
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException e) {
                    // the server went away under it
                }
            }
            return null;
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            if (thread != null) {
                thread.join();
            }
        }
    }
}
