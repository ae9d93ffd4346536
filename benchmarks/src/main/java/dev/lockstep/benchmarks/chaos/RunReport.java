package dev.lockstep.benchmarks.chaos;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What one chaos run found, printed as one block: its seed, the kills with their times and phases, the workload's
 * figures, the outcome of each check, PASS or FAIL with the differences, and where its logs are. Filled by
 * {@link ChaosRun} as the run goes; not thread-safe.
 */
final class RunReport {

    /** A reason the run failed, with the lines that show it (reconcile's failing checks, a log's tail). */
    record Failure(String reason, List<String> details) {}

    /** The workload's figures: what it wrote, and the rate it reached while it wrote. */
    record Workload(long changes, long transactions, double seconds, double transactionsPerSecond,
            double changesPerSecond) {}

    private final int number;
    private final int runs;
    private final long runSeed;
    private final Path directory;
    private final List<String> setup = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<KillDriver.Kill> kills = new ArrayList<>();
    private final List<Failure> failures = new ArrayList<>();
    private Workload workload;
    private double seconds;

    RunReport(int number, int runs, long runSeed, Path directory) {
        this.number = number;
        this.runs = runs;
        this.runSeed = runSeed;
        this.directory = directory;
    }

    long runSeed() {
        return runSeed;
    }

    Path directory() {
        return directory;
    }

    /** Adds a line about the run's setup, printed before the kills. */
    void setup(String line) {
        setup.add(line);
    }

    /** Adds an informational line, printed after the kills and the workload's figures. */
    void note(String line) {
        notes.add(line);
    }

    void kills(List<KillDriver.Kill> done) {
        kills.addAll(done);
    }

    List<KillDriver.Kill> kills() {
        return List.copyOf(kills);
    }

    void workload(Workload figures) {
        this.workload = figures;
    }

    /** Returns the workload's figures; null when it never started. */
    Workload workload() {
        return workload;
    }

    void fail(String reason, List<String> details) {
        failures.add(new Failure(reason, List.copyOf(details)));
    }

    void fail(String reason) {
        fail(reason, List.of());
    }

    void finished(double totalSeconds) {
        this.seconds = totalSeconds;
    }

    boolean passed() {
        return failures.isEmpty();
    }

    /** Prints the block; {@code replay} is the command that replays this run, {@code kept} whether its logs remain. */
    void print(PrintStream out, String replay, boolean kept) {
        out.printf("run %d/%d  seed %d%n", number, runs, runSeed);
        setup.forEach(line -> out.println("  " + line));
        for (KillDriver.Kill kill : kills) {
            PipelineUnderTest.Hit hit = kill.hit();
            out.printf("  kill %d at %6.1f s  %-10s (planned %s, %s)  pid %d, exit %d%s%n", kill.number(),
                    hit.atMillis() / 1e3, hit.observed().label(), kill.plan().phase().label(), kill.plan().describe(),
                    hit.pid(), hit.exitCode(), hit.exitCode() == LockstepProcess.SIGKILL_EXIT ? " (SIGKILL)"
                            : " (NOT 137: not killed by SIGKILL?)");
        }
        if (workload != null) {
            out.printf("  workload: %,d changes in %,d source transactions in %.1f s: %,.0f tx/s, %,.0f changes/s%n",
                    workload.changes(), workload.transactions(), workload.seconds(), workload.transactionsPerSecond(),
                    workload.changesPerSecond());
        }
        notes.forEach(line -> out.println("  " + line));
        if (failures.isEmpty()) {
            out.printf("  PASS in %.0f s%n", seconds);
        } else {
            out.printf("  FAIL in %.0f s:%n", seconds);
            for (Failure failure : failures) {
                out.println("    - " + failure.reason());
                failure.details().forEach(line -> out.println("        " + line));
            }
            out.println("  replay: " + replay);
        }
        if (kept) {
            out.println("  logs: " + directory + " (kept)");
        }
        out.flush();
    }
}
