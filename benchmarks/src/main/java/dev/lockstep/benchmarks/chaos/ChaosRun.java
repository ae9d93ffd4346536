package dev.lockstep.benchmarks.chaos;

import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.shop.ShopDatabase;
import dev.lockstep.shop.ShopWorkload;
import dev.lockstep.shop.testing.ExpectedCustomerVersions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One chaos run, isolated: fresh embedded PostgreSQL (source {@code shop}, {@code warehouse}) and Kafka; the shop
 * seeded; {@code lockstep run} as a child process, killed with SIGKILL and restarted as its {@link KillSchedule}
 * says while the workload writes (the workload starts once the initial snapshot is applied); then, once the
 * warehouse caught up, {@code lockstep reconcile} and the {@link WarehouseChecks}; then SIGTERM, and everything
 * stopped. Every wait has a deadline: a run that hangs ends as FAIL with the reason.
 */
final class ChaosRun {

    /** The shop every run seeds: its snapshot (~30,000 rows) takes a few seconds, as in EndToEndIT's snapshot test. */
    static final ShopDatabase SHOP = new ShopDatabase(5_000, 500, 5_000);

    private static final Duration CATCH_UP_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration RECONCILE_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(30);

    private final ChaosOptions options;
    private final Path definitionFile;
    private final PipelineDefinition definition;
    private final RunReport report;
    private final long started = System.nanoTime();

    ChaosRun(ChaosOptions options, Path definitionFile, PipelineDefinition definition, RunReport report) {
        this.options = options;
        this.definitionFile = definitionFile;
        this.definition = definition;
        this.report = report;
    }

    /** Runs, fills the report and leaves nothing running; never throws for what happens inside the run. */
    RunReport run() {
        KillSchedule schedule = KillSchedule.draw(report.runSeed(), options.kills(), options.changes());
        Duration loadDeadline = Duration.ofSeconds((long) (options.changes() / options.rate() * 3) + 60);
        ShopLoad load = null;
        KillDriver driver = null;
        RunServices services = null;
        try {
            Files.createDirectories(report.directory());
            services = startServices();
            RunServices source = services;
            ShopWorkload workload = new ShopWorkload(SHOP, KillSchedule.workloadSeed(report.runSeed()));
            ExpectedCustomerVersions expected = ExpectedCustomerVersions.of(workload);
            load = new ShopLoad(workload, () -> source.connect(RunServices.SOURCE), options.changes(), options.rate(),
                    loadDeadline);
            try (Connection warehouse = services.connect(RunServices.WAREHOUSE);
                    PipelineUnderTest pipeline = new PipelineUnderTest(options.jar(), definitionFile,
                            services.environment(), report.directory(), load, warehouse, definition.pipeline())) {
                pipeline.start();
                driver = new KillDriver(pipeline, load, loadDeadline.plusMinutes(5));
                driver.execute(schedule);
                awaitCaughtUp(pipeline, load, loadDeadline.plusMinutes(5));
                reconcile(services.environment());
                check(warehouse, expected);
                stop(pipeline);
            }
        } catch (ChaosFailure e) {
            report.fail(e.getMessage());
        } catch (Exception e) {
            report.fail("the chaos run itself failed: " + e, List.of("stack trace: " + writeStackTrace(e)));
        } finally {
            finish(load, driver, services);
        }
        return report;
    }

    private RunServices startServices() throws Exception {
        long began = System.nanoTime();
        RunServices services = RunServices.start(report.directory().resolve("services"));
        long up = System.nanoTime();
        try (Connection shop = services.connect(RunServices.SOURCE)) {
            SHOP.create(shop);
        }
        report.setup(String.format("services up in %.1f s; shop seeded in %.1f s (%,d customers, %,d products, %,d "
                + "orders); t = 0 s is the first `lockstep run`", (up - began) / 1e9, (System.nanoTime() - up) / 1e9,
                SHOP.customers(), SHOP.products(), SHOP.orders()));
        return services;
    }

    private void awaitCaughtUp(PipelineUnderTest pipeline, ShopLoad load, Duration workloadTimeout)
            throws InterruptedException {
        pipeline.await(load::ended, workloadTimeout, "the workload's end");
        if (!load.join(JOIN_TIMEOUT)) {
            throw new ChaosFailure("the workload's thread did not end within " + JOIN_TIMEOUT.toSeconds() + " s");
        }
        long ended = pipeline.millisAt(load.endedNanos());
        report.note(String.format("initial snapshot applied by %.1f s; workload from then to %.1f s%s",
                pipeline.loadStartedMillis() / 1e3, ended / 1e3, load.deadlineReached()
                        ? " (stopped at its deadline, before all its changes)" : ""));
        pipeline.await(() -> pipeline.running() && pipeline.caughtUp(), CATCH_UP_TIMEOUT,
                "the warehouse reaching the workload's last transaction");
        long caughtUp = pipeline.millis();
        report.note(String.format("caught up by %.1f s (%.1f s after the workload ended)", caughtUp / 1e3,
                (caughtUp - ended) / 1e3));
    }

    /** Runs {@code lockstep reconcile}: exit 0 exact, 5 differences, 6 not caught up. */
    private void reconcile(Map<String, String> environment) {
        try (LockstepProcess reconcile = LockstepProcess.start(options.jar(), environment, report.directory()
                .resolve("lockstep-reconcile.log"), "reconcile", definitionFile.toString(), "--timeout", "PT3M")) {
            Optional<Integer> exit = reconcile.awaitExitCode(RECONCILE_TIMEOUT);
            List<String> lines = reconcile.lines();
            if (exit.isEmpty()) {
                report.fail("lockstep reconcile did not finish within " + RECONCILE_TIMEOUT.toMinutes() + " min",
                        tail(lines));
            } else if (exit.get() == 0) {
                report.note("reconcile: exit 0, " + lines.stream().filter(l -> l.startsWith("PASS")).findFirst()
                        .orElse("(no PASS line)"));
            } else {
                String meaning = switch (exit.get()) {
                    case 5 -> "differences";
                    case 6 -> "not caught up";
                    default -> "error";
                };
                List<String> shown = exit.get() == 5 ? lines.stream().filter(l -> l.contains("FAIL")).toList()
                        : tail(lines);
                report.fail("lockstep reconcile exit " + exit.get() + " (" + meaning + "), output in "
                        + reconcile.log().getFileName(), shown);
            }
        }
    }

    /** Runs the {@link WarehouseChecks}; {@code expected} is complete: the load's thread has ended. */
    private void check(Connection warehouse, ExpectedCustomerVersions expected) throws Exception {
        for (WarehouseChecks.Outcome outcome : new WarehouseChecks(warehouse, definition).run(expected.versions())) {
            if (outcome.pass()) {
                report.note("check: " + outcome.line());
            } else {
                report.fail(outcome.line());
            }
        }
    }

    private void stop(PipelineUnderTest pipeline) {
        report.note("lockstep run printed \"" + PipelineUnderTest.RUNNING + "\", start by start, after: "
                + pipeline.startupSeconds());
        LockstepProcess last = pipeline.current();
        Optional<Integer> exit = pipeline.stop(STOP_TIMEOUT);
        if (exit.isEmpty()) {
            report.fail("lockstep run (pid " + last.pid() + ") did not stop within " + STOP_TIMEOUT.toMinutes()
                    + " min of SIGTERM; killed", tail(last.lines()));
        } else if (!last.printed(PipelineUnderTest.STOPPED)) {
            report.fail("lockstep run (pid " + last.pid() + ") exited with " + exit.get() + " on SIGTERM without \""
                    + PipelineUnderTest.STOPPED + " …\"", tail(last.lines()));
        } else {
            report.note("stopped on SIGTERM: " + last.line(PipelineUnderTest.STOPPED).orElseThrow());
        }
    }

    /** Stops what still runs, records the kills and the workload's figures, checks that no process is left. */
    private void finish(ShopLoad load, KillDriver driver, RunServices services) {
        if (driver != null) {
            report.kills(driver.done());
        }
        if (load != null) {
            load.stop();
            try {
                load.join(JOIN_TIMEOUT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (load.started()) {
                report.workload(new RunReport.Workload(load.changes(), load.transactions(), load.elapsed().toNanos()
                        / 1e9, load.transactionsPerSecond(), load.changesPerSecond()));
            }
        }
        if (services != null) {
            services.stop().forEach(report::fail);
            if (ProcessHandle.of(services.postgresPid()).map(ProcessHandle::isAlive).orElse(false)) {
                report.fail("PostgreSQL (pid " + services.postgresPid() + ") still runs after its stop");
            }
        }
        ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).forEach(p -> {
            report.fail("left process " + p.pid() + " behind (" + p.info().commandLine().orElse("?") + "); killed");
            p.destroyForcibly();
        });
        if (!report.passed() && Files.isDirectory(report.directory())) {
            LogScan.summarise(report.directory()).forEach(line -> report.note("log: " + line));
        }
        report.finished((System.nanoTime() - started) / 1e9);
    }

    private String writeStackTrace(Throwable e) {
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        Path file = report.directory().resolve("chaos-error.txt");
        try {
            Files.createDirectories(report.directory());
            Files.writeString(file, trace.toString());
            return file.toString();
        } catch (IOException io) {
            return "(not written: " + io + ")\n" + trace;
        }
    }

    private static List<String> tail(List<String> lines) {
        return lines.subList(Math.max(0, lines.size() - 15), lines.size());
    }
}
