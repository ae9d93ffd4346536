package dev.lockstep.benchmarks;

import dev.lockstep.embedded.EmbeddedPostgres;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where the CPU went between two moments: this JVM by thread (broker, extract, apply and the rest run in it) and the
 * PostgreSQL server by process (walsenders, backends by {@code application_name}, background workers). On two cores
 * Lockstep and bare Debezium compete with PostgreSQL for the same CPU, so their ratio is a ratio of CPU per change.
 *
 * <p>Threads and processes that ended between the two snapshots are not counted; take the second before stopping
 * what was measured. Thread names are grouped with their digits replaced by {@code #}.
 */
final class CpuProfile {

    /** {@code USER_HZ}: {@code /proc}'s CPU times are in these ticks per second on Linux. */
    private static final long CLOCK_TICKS = 100;

    private final long wallNanos;
    private final long processNanos;
    private final Map<Long, Sample> threads;
    private final Map<Long, Sample> postgres;

    private record Sample(String name, long cpuNanos) {}

    private CpuProfile(long wallNanos, long processNanos, Map<Long, Sample> threads, Map<Long, Sample> postgres) {
        this.wallNanos = wallNanos;
        this.processNanos = processNanos;
        this.threads = threads;
        this.postgres = postgres;
    }

    /** Samples this JVM's threads and the processes of the PostgreSQL {@code servers} (grouped by name across them). */
    static CpuProfile take(EmbeddedPostgres... servers) throws SQLException {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, Sample> threads = new HashMap<>();
        for (ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (info != null) {
                long cpu = mx.getThreadCpuTime(info.getThreadId());
                if (cpu >= 0) {
                    threads.put(info.getThreadId(), new Sample(info.getThreadName(), cpu));
                }
            }
        }
        jvmInternals(threads);
        Map<Long, Sample> postgres = new HashMap<>();
        for (EmbeddedPostgres pg : servers) {
            processes(pg, postgres);
        }
        long process = ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
        return new CpuProfile(System.nanoTime(), process, threads, postgres);
    }

    /** Adds the postmaster of {@code pg} and its children, backends named by database and application. */
    private static void processes(EmbeddedPostgres pg, Map<Long, Sample> postgres) throws SQLException {
        Map<Long, String> names = new HashMap<>();
        // A connection of its own: pg_stat_activity is read once per transaction.
        try (Connection connection = pg.connect("postgres"); Statement s = connection.createStatement();
                ResultSet r = s.executeQuery("SELECT pid, backend_type, coalesce(application_name, ''), "
                        + "coalesce(datname, '') FROM pg_stat_activity")) {
            while (r.next()) {
                String app = r.getString(3).isEmpty() ? "" : " " + r.getString(3);
                names.put(r.getLong(1), r.getString(2).equals("client backend")
                        ? "backend " + r.getString(4) + app : r.getString(2) + app);
            }
        }
        long postmaster = pg.serverPid();
        ProcessHandle.of(postmaster).ifPresent(server -> {
            postgres.put(postmaster, new Sample("postmaster", cpu(server)));
            server.children().forEach(child -> postgres.put(child.pid(), new Sample(names.getOrDefault(child.pid(),
                    "other (" + child.info().command().orElse("?") + ")"), cpu(child))));
        });
    }

    /**
     * Adds the JVM's own threads (garbage collection, compilers, the VM thread), which have no Java thread id, from
     * {@code /proc/self/task} where there is one (ids below zero keep them apart from Java threads').
     */
    private static void jvmInternals(Map<Long, Sample> threads) {
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return;
        }
        try (DirectoryStream<Path> all = Files.newDirectoryStream(tasks)) {
            for (Path task : all) {
                try {
                    String comm = Files.readString(task.resolve("comm")).strip();
                    String group = comm.startsWith("GC Thread") || comm.startsWith("G1 ") ? "JVM: garbage collection"
                            : comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler") ? "JVM: JIT compilers"
                            : comm.startsWith("VM ") ? "JVM: VM thread" : null;
                    if (group != null) {
                        String stat = Files.readString(task.resolve("stat"));
                        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
                        threads.put(-Long.parseLong(task.getFileName().toString()), new Sample(group,
                                ticks * 1_000_000_000L / CLOCK_TICKS));
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended while read
                }
            }
        } catch (IOException e) {
            // no breakdown of the JVM's own threads
        }
    }

    private static long cpu(ProcessHandle process) {
        return process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /** Lines saying where the CPU went since {@code before}, largest first; {@code top} lines per side at most. */
    List<String> since(CpuProfile before, int top) {
        double wall = (wallNanos - before.wallNanos) / 1e9;
        Map<String, Long> jvm = grouped(threads, before.threads);
        Map<String, Long> server = grouped(postgres, before.postgres);
        long threadSum = jvm.values().stream().mapToLong(Long::longValue).sum();
        long processDelta = processNanos < 0 ? threadSum : processNanos - before.processNanos;
        jvm.merge("(JVM: other native threads, threads ended)", Math.max(0, processDelta - threadSum), Long::sum);
        long serverSum = server.values().stream().mapToLong(Long::longValue).sum();
        List<String> lines = new ArrayList<>();
        lines.add(String.format("CPU in %.1f s: JVM %.1f s, PostgreSQL %.1f s = %.2f cores busy", wall,
                processDelta / 1e9, serverSum / 1e9, (processDelta + serverSum) / 1e9 / wall));
        lines.addAll(largest("JVM", jvm, top));
        lines.addAll(largest("PostgreSQL", server, top));
        return lines;
    }

    private static Map<String, Long> grouped(Map<Long, Sample> now, Map<Long, Sample> before) {
        Map<String, Long> groups = new TreeMap<>();
        now.forEach((id, sample) -> {
            Sample earlier = before.get(id);
            long delta = sample.cpuNanos() - (earlier != null && earlier.name().equals(sample.name())
                    ? earlier.cpuNanos() : 0);
            if (delta > 0) {
                groups.merge(sample.name().replaceAll("[0-9]+", "#"), delta, Long::sum);
            }
        });
        return groups;
    }

    private static List<String> largest(String side, Map<String, Long> groups, int top) {
        long sum = groups.values().stream().mapToLong(Long::longValue).sum();
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(groups.entrySet());
        sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        List<String> lines = new ArrayList<>();
        long shown = 0;
        for (Map.Entry<String, Long> e : sorted.subList(0, Math.min(top, sorted.size()))) {
            lines.add(String.format("  %-10s %7.2f s %5.1f%%  %s", side, e.getValue() / 1e9,
                    100.0 * e.getValue() / Math.max(1, sum), e.getKey()));
            shown += e.getValue();
        }
        if (sorted.size() > top) {
            lines.add(String.format("  %-10s %7.2f s %5.1f%%  (%d more)", side, (sum - shown) / 1e9,
                    100.0 * (sum - shown) / Math.max(1, sum), sorted.size() - top));
        }
        return lines;
    }
}
