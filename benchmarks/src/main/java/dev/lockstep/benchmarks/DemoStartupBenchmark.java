package dev.lockstep.benchmarks;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Time to the first fact rows of {@code lockstep demo}: starts {@code java -Xmx512m -jar app/target/lockstep.jar
 * demo --progress log} as a child process (the build warm, the PostgreSQL binaries already unpacked), reads the
 * warehouse's address from what it prints, and polls the warehouse until {@code shop_dw.fact_order_line} has a
 * row; then stops it as Ctrl-C would (SIGTERM) and waits for it to exit. Times count from the process start.
 */
public final class DemoStartupBenchmark {

    private static final Pattern WAREHOUSE = Pattern.compile("psql postgresql://([^@\\s]+)@localhost:(\\d+)/warehouse");
    private static final String CLEAN_STOP = "Embedded services stopped and their data removed.";
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(120);

    private DemoStartupBenchmark() {}

    /** One run's milestones, in ms from the process start (-1: not reached), and how it stopped. */
    record Run(long printedMillis, long tableMillis, long rowsMillis, long stopMillis, int exitCode, boolean clean,
            Path log) {}

    public static void main(String[] args) throws Exception {
        int runs = Figures.intArg(args, "--runs", 3);
        Path jar = Path.of(Figures.stringArg(args, "--jar", "app/target/lockstep.jar"));
        if (!Files.isRegularFile(jar)) {
            System.err.println(jar + " not found: build the app first (mvn -B -o -q -DskipTests -pl app -am package)");
            System.exit(2);
        }
        System.out.printf("demo-startup benchmark: java -Xmx512m -jar %s demo --progress log, %d run(s)%n", jar, runs);
        List<Long> firstRows = new ArrayList<>();
        for (int i = 1; i <= runs; i++) {
            Run run = run(jar, Files.createTempFile("lockstep-demo-startup-", ".log"));
            System.out.printf("run %d: warehouse address printed after %.1f s, fact table after %.1f s, first fact "
                    + "rows after %.1f s; SIGTERM: %s in %.1f s (exit code %d); output in %s%n", i,
                    run.printedMillis() / 1e3, run.tableMillis() / 1e3, run.rowsMillis() / 1e3,
                    run.clean() ? "stopped cleanly" : "NOT stopped cleanly", run.stopMillis() / 1e3, run.exitCode(),
                    run.log());
            if (run.rowsMillis() >= 0) {
                firstRows.add(run.rowsMillis());
            }
        }
        if (!firstRows.isEmpty()) {
            Collections.sort(firstRows);
            System.out.printf("first fact rows after `lockstep demo`: median %.1f s, min %.1f, max %.1f (%d runs)%n",
                    Figures.percentile(firstRows, 0.5) / 1e3, firstRows.get(0) / 1e3,
                    firstRows.get(firstRows.size() - 1) / 1e3, firstRows.size());
        }
    }

    private static Run run(Path jar, Path log) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        long started = System.nanoTime();
        // To a file, not a pipe: Process.destroy() closes the pipe, and what the demo prints while stopping is lost.
        Process demo = new ProcessBuilder(java, "-Xmx512m", "-jar", jar.toString(), "demo", "--progress", "log")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long printed = -1;
        long table = -1;
        long rows = -1;
        try {
            Matcher warehouse = awaitAddress(demo, log, started);
            printed = millisSince(started);
            String url = "jdbc:postgresql://localhost:" + warehouse.group(2) + "/warehouse";
            try (Connection c = DriverManager.getConnection(url, warehouse.group(1), "");
                    Statement s = c.createStatement()) {
                while (rows < 0 && System.nanoTime() - started < TIMEOUT_NANOS && demo.isAlive()) {
                    if (table < 0 && exists(s, "SELECT to_regclass('shop_dw.fact_order_line') IS NOT NULL")) {
                        table = millisSince(started);
                    }
                    if (table >= 0 && exists(s, "SELECT EXISTS (SELECT 1 FROM shop_dw.fact_order_line)")) {
                        rows = millisSince(started);
                    }
                    TimeUnit.MILLISECONDS.sleep(20);
                }
            }
        } catch (IllegalStateException | SQLException e) {
            System.out.println("run failed: " + e.getMessage());
        }
        long stopping = System.nanoTime();
        demo.destroy(); // SIGTERM, as Ctrl-C: the demo drains the pipeline and removes its services' data
        if (!demo.waitFor(120, TimeUnit.SECONDS)) {
            System.out.println("the demo did not stop within 120 s after SIGTERM; killing it");
            demo.destroyForcibly().waitFor();
        }
        long stopMillis = millisSince(stopping);
        boolean clean = Files.readString(log, StandardCharsets.UTF_8).contains(CLEAN_STOP);
        return new Run(printed, table, rows, stopMillis, demo.exitValue(), clean, log);
    }

    /** Reads the demo's output until it prints the warehouse's address; fails if it exits or takes too long. */
    private static Matcher awaitAddress(Process demo, Path log, long started) throws Exception {
        while (System.nanoTime() - started < TIMEOUT_NANOS) {
            Matcher matcher = WAREHOUSE.matcher(Files.readString(log, StandardCharsets.UTF_8));
            if (matcher.find()) {
                return matcher;
            }
            if (!demo.isAlive()) {
                throw new IllegalStateException("the demo exited (" + demo.exitValue() + ") without printing the "
                        + "warehouse address; see " + log);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new IllegalStateException("the demo printed no warehouse address within 120 s; see " + log);
    }

    private static boolean exists(Statement s, String query) throws SQLException {
        try (ResultSet rs = s.executeQuery(query)) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
