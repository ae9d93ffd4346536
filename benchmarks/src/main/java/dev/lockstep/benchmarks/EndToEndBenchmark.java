package dev.lockstep.benchmarks;

import dev.lockstep.benchmarks.SourceWriter.Commit;
import dev.lockstep.benchmarks.SourceWriter.Written;
import dev.lockstep.embedded.EmbeddedKafka;
import dev.lockstep.embedded.EmbeddedPostgres;
import dev.lockstep.runtime.LockstepEngine;
import dev.lockstep.shop.AlertsWebhook;
import dev.lockstep.shop.ShopDatabase;
import dev.lockstep.shop.ShopDefinition;
import dev.lockstep.shop.ShopWorkload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The shop example end to end, as {@code lockstep run} runs it ({@link LockstepEngine}): source PostgreSQL →
 * Debezium Embedded → Kafka → star schema in the warehouse, with the shop and its day mix of transactions (what
 * {@code lockstep demo} runs, {@link ShopWorkload.Mix#DAY}).
 *
 * <p>Throughput: a small seeded shop is snapshotted by a first run, which is then stopped; N row changes are written
 * to the source; bare Debezium Embedded (its own slot, created before the writes) is timed until its consumer has
 * counted them, then the pipeline is started again and timed until the warehouse has applied them all. Latency: with
 * the pipeline running and caught up, a writer commits workload transactions at a fixed rate, and each transaction
 * is timed from its commit returning on the client until the warehouse reflects it (polled every {@code --poll-ms}).
 * "Applied" and "reflects" are read from {@code lockstep.offsets.commit_lsn}, which the apply stage writes in the
 * same warehouse transaction as the star schema; {@link TrackedCommits} says why the comparison with each source
 * transaction is exact. The first run's snapshot is waited for by counting raw-layer rows instead.
 */
public final class EndToEndBenchmark {

    private static final String PIPELINE = "shop";
    /** The shop's pipeline definition, relative to the repository root. */
    public static final String DEFINITION = ShopDefinition.EXAMPLE;
    /** Lines per side of a {@code --cpu} profile. */
    private static final int CPU_LINES = 12;
    /** The workload's seed. */
    public static final long SEED = 42;
    /** The shop the benchmark seeds by default: 2,000 customers, 300 products, 1,000 orders. */
    public static final ShopDatabase SHOP = new ShopDatabase(2_000, 300, 1_000);

    private EndToEndBenchmark() {}

    /** The command line. */
    record Options(int changes, int rate, int seconds, int pollMillis, Path file, boolean asyncCommit,
            boolean statements, int explain, String serverConfig, boolean bareMinimal, boolean cpu, int warmup,
            boolean separateWarehouse, int settle, ShopDatabase shop) {

        static Options parse(String[] args) {
            return new Options(Figures.intArg(args, "--changes", 100_000), Figures.intArg(args, "--rate", 2_000),
                    Figures.intArg(args, "--seconds", 20), Figures.intArg(args, "--poll-ms", 2),
                    Path.of(Figures.stringArg(args, "--file", DEFINITION)), List.of(args).contains("--async-commit"),
                    List.of(args).contains("--statements"), Figures.intArg(args, "--explain", -1),
                    Figures.stringArg(args, "--pg", ""), List.of(args).contains("--bare-minimal"),
                    List.of(args).contains("--cpu"), Figures.intArg(args, "--warmup", 100_000),
                    List.of(args).contains("--separate-warehouse"), Figures.intArg(args, "--settle", 20),
                    // A large warehouse (--customers 200000 --orders 333334: 1M fact rows) is loaded through the
                    // pipeline, by the first run's snapshot.
                    new ShopDatabase(Figures.intArg(args, "--customers", SHOP.customers()),
                            Figures.intArg(args, "--products", SHOP.products()),
                            Figures.intArg(args, "--orders", SHOP.orders())));
        }
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        if (!Files.isRegularFile(options.file())) {
            System.err.println(options.file() + " not found: run from the repository root or pass --file");
            System.exit(2);
        }
        ShopDatabase shop = options.shop();
        Path base = Files.createTempDirectory("lockstep-e2e-bench");
        AlertsWebhook webhook = AlertsWebhook.start();
        // One server for both databases, or (--separate-warehouse) a second one for the warehouse, as deployments
        // have it: on one server the source's walsender also reads through the warehouse's WAL.
        EmbeddedPostgres.Builder postgres = server(base, options, options.separateWarehouse()
                ? new String[] {"shop"} : new String[] {"shop", "warehouse"});
        if (options.asyncCommit()) {
            // Decoding reads flushed WAL only: asynchronous commits reach the slot when the WAL writer next runs.
            postgres.serverConfig("wal_writer_delay", "10ms");
        }
        if (options.explain() >= 0) {
            System.out.println("plans of statements over " + options.explain() + " ms: e2e-postgres.log");
        }
        try (EmbeddedPostgres pg = postgres.build().start();
                EmbeddedPostgres separate = options.separateWarehouse()
                        ? server(base, options, "warehouse").build().start() : null;
                EmbeddedKafka kafka = EmbeddedKafka.builder().baseDirectory(base).build().start();
                Connection writer = pg.connect("shop");
                Connection bulk = pg.connect("shop");
                Connection warehouse = (separate != null ? separate : pg).connect("warehouse")) {
            EmbeddedPostgres wpg = separate != null ? separate : pg;
            EmbeddedPostgres[] servers = separate != null ? new EmbeddedPostgres[] {pg, separate}
                    : new EmbeddedPostgres[] {pg};
            shop.create(writer);
            Map<String, String> environment = ShopDefinition.environment(pg.jdbcUrl("shop"), pg.user(),
                    wpg.jdbcUrl("warehouse"), wpg.user(), webhook.url());
            AppliedPosition pipeline = new AppliedPosition(warehouse, options.pollMillis());
            ShopWorkload workload = new ShopWorkload(shop, SEED);
            long snapshotRows = shop.snapshotRows();
            System.out.printf("e2e benchmark (%s): shop of %,d customers, %,d products, %,d orders (snapshot of %,d "
                    + "rows); %,d changes written while stopped; latency at %,d changes/s for %d s%n", options.file(),
                    shop.customers(), shop.products(), shop.orders(), snapshotRows, options.changes(), options.rate(),
                    options.seconds());

            TrackedCommits live = new TrackedCommits(writer);
            long warmUp = System.nanoTime();
            try (LockstepEngine first = engine(options, environment, kafka.bootstrapServers())) {
                // Stopped before its snapshot is whole, the extract would snapshot again (changes included) next time.
                pipeline.awaitSnapshot(first, snapshotRows);
                Written one = SourceWriter.write(workload, live, 1, 0, () -> false, commit -> { });
                pipeline.awaitApplied(first, one.last().lsn(), () -> { });
            }
            line("first run (not timed)", String.format("deploy, snapshot of %,d rows and one change applied, "
                    + "stopped: %.1f s", snapshotRows, (System.nanoTime() - warmUp) / 1e9));
            line("warehouse", warehouseSize(warehouse));

            // The source is written as fast as it goes (no fsync wait per commit).
            try (Statement s = bulk.createStatement()) {
                s.execute("SET synchronous_commit = off");
            }
            if (options.warmup() > 0) {
                warmUp(pg, bulk, pipeline, workload, environment, kafka.bootstrapServers(), options);
            }

            BareRound round = bareRound(pg, bulk, workload, options.changes(), options, true);
            Written written = round.written();
            double bareRate = round.rate();
            line("bare Debezium Embedded", String.format("%,d events counted in %.1f s = %,.0f events/s (engine start "
                    + "included)", written.changes(), written.changes() / bareRate, bareRate));
            round.cpu().forEach(System.out::println);

            if (options.statements()) {
                Profile.reset(wpg, "warehouse");
            }
            CpuProfile runStart = options.cpu() ? CpuProfile.take(servers) : null;
            long started = System.nanoTime();
            try (LockstepEngine run = engine(options, environment, kafka.bootstrapServers())) {
                long startReturned = System.nanoTime();
                AtomicLong extracted = new AtomicLong();
                pipeline.awaitApplied(run, written.last().lsn(), () -> {
                    if (extracted.get() == 0 && run.extractedChanges() >= written.changes()) {
                        extracted.set(System.nanoTime());
                    }
                });
                long done = System.nanoTime();
                double seconds = (done - started) / 1e9;
                double lockstepRate = written.changes() / seconds;
                line("Lockstep end to end", String.format("%,d changes applied in %.1f s = %,.0f changes/s (start "
                        + "%.1f s included%s)", written.changes(), seconds, lockstepRate,
                        (startReturned - started) / 1e9, extracted.get() == 0 ? "" : String.format("; all in Kafka "
                                + "after %.1f s = %,.0f changes/s", (extracted.get() - started) / 1e9,
                                written.changes() / ((extracted.get() - started) / 1e9))));
                if (run.extractedChanges() != written.changes()) {
                    line("WARNING", String.format("the extract counted %,d changes, not %,d: a snapshot or a replay, "
                            + "so the figure above is not comparable", run.extractedChanges(), written.changes()));
                }
                line("Lockstep / bare Debezium", String.format("%.2f of the events/s", lockstepRate / bareRate));
                if (options.cpu()) {
                    CpuProfile.take(servers).since(runStart, CPU_LINES).forEach(System.out::println);
                }
                if (options.statements()) {
                    Profile.print(wpg, "warehouse"); // the catch-up's statements: start-up and latency phase apart
                    Profile.reset(wpg, "warehouse");
                }

                if (options.asyncCommit()) {
                    writer.setAutoCommit(true);
                    try (Statement s = writer.createStatement()) {
                        s.execute("SET synchronous_commit = off");
                    }
                }
                CpuProfile[] latencyStart = new CpuProfile[1];
                latency(pipeline, run, workload, live, options, () -> {
                    try {
                        if (options.statements()) {
                            Profile.reset(wpg, "warehouse");
                        }
                        latencyStart[0] = options.cpu() ? CpuProfile.take(servers) : null;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                if (options.cpu()) {
                    CpuProfile.take(servers).since(latencyStart[0], CPU_LINES).forEach(System.out::println);
                }
                if (options.statements()) {
                    System.out.println("  the latency phase's statements:");
                    Profile.print(wpg, "warehouse");
                }
                line("warehouse", warehouseSize(warehouse));
                System.out.println(Figures.heap());
            }
            line("alert events", String.format("%,d received by the local webhook", webhook.received()));
        } finally {
            webhook.close();
            deleteQuietly(base); // the services removed their own directories in it
        }
    }

    /** A PostgreSQL server holding {@code databases}, with the diagnostics the options ask for. */
    private static EmbeddedPostgres.Builder server(Path base, Options options, String... databases) {
        EmbeddedPostgres.Builder postgres = EmbeddedPostgres.builder().baseDirectory(base).databases(databases);
        for (String setting : options.serverConfig().split(",")) {
            if (setting.contains("=")) { // diagnostics, e.g. --pg log_lock_waits=on,deadlock_timeout=50ms
                postgres.serverConfig(setting.substring(0, setting.indexOf('=')), setting.substring(setting.indexOf('=')
                        + 1));
            }
        }
        if (options.statements() || options.explain() >= 0) {
            postgres.serverConfig("shared_preload_libraries", "pg_stat_statements"
                    + (options.explain() >= 0 ? ",auto_explain" : ""))
                    .serverConfig("pg_stat_statements.track_planning", "on");
        }
        if (options.explain() >= 0) {
            postgres.serverConfig("auto_explain.log_min_duration", Integer.toString(options.explain()))
                    .serverConfig("auto_explain.log_analyze", "on").serverConfig("auto_explain.log_buffers", "on")
                    // Kept after the run (the server's own directory is deleted).
                    .serverConfig("logging_collector", "on")
                    .serverConfig("log_directory", Path.of("").toAbsolutePath().toString())
                    .serverConfig("log_filename", "e2e-postgres-" + databases[databases.length - 1] + ".log");
        }
        return postgres;
    }

    /** What a round wrote to the source, how fast bare Debezium read it, and where the CPU went meanwhile. */
    private record BareRound(Written written, double rate, List<String> cpu) {}

    /**
     * Creates bare Debezium's slot, writes {@code changes} to the source as fast as it goes, then times bare Debezium
     * reading them and drops its slot. The {@code timed} round prints the source line and, with {@code --cpu},
     * samples the CPU.
     */
    private static BareRound bareRound(EmbeddedPostgres pg, Connection bulk, ShopWorkload workload, long changes,
            Options options, boolean timed) throws Exception {
        ExtractBenchmark.BareDebezium bare = new ExtractBenchmark.BareDebezium(pg, "shop", ShopWarehouse.TABLES,
                options.bareMinimal());
        bare.startAndAwaitSlot(pg);
        bare.stop();
        // Both slots exist now.
        Written written = SourceWriter.write(workload, new TrackedCommits(bulk), changes, 0, () -> false, c -> { });
        SourceWriter.awaitFlushed(bulk, written.last().lsn());
        if (timed) {
            line("source", String.format("%,d changes in %,d transactions written in %.1f s (synchronous_commit off)",
                    written.changes(), written.transactions(), written.nanos() / 1e9));
        }
        boolean cpu = timed && options.cpu();
        CpuProfile start = cpu ? CpuProfile.take(pg) : null;
        double rate = bare.timeUntil(pg, written.changes());
        List<String> lines = cpu ? CpuProfile.take(pg).since(start, CPU_LINES) : List.of();
        bare.stop();
        dropBareSlot(pg, bare.slot());
        return new BareRound(written, rate, lines);
    }

    /** Starts Lockstep on the benchmark's definition, as {@code lockstep run} would. */
    private static LockstepEngine engine(Options options, Map<String, String> environment, String bootstrapServers) {
        return LockstepEngine.builder(options.file()).environment(environment::get).kafka(bootstrapServers).start();
    }

    /**
     * The measured round's work done once, untimed, on {@code --warmup} changes: bare Debezium reads them, then the
     * pipeline catches up on them and stops. A short run spends a third of the JVM's CPU compiling (`--cpu`: "JVM:
     * JIT compilers", the broker's and the clients' code most); the figures asked for are steady state, and both
     * sides run the same code again in the timed round.
     */
    private static void warmUp(EmbeddedPostgres pg, Connection bulk, AppliedPosition pipeline, ShopWorkload workload,
            Map<String, String> environment, String bootstrapServers, Options options) throws Exception {
        BareRound round = bareRound(pg, bulk, workload, options.warmup(), options, false);
        Written written = round.written();
        double bareRate = round.rate();
        long started = System.nanoTime();
        try (LockstepEngine run = engine(options, environment, bootstrapServers)) {
            pipeline.awaitApplied(run, written.last().lsn(), () -> { });
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        line("warm-up (not timed)", String.format("%,d changes: bare Debezium %,.0f events/s, Lockstep %,.0f "
                + "changes/s (%.2f)", written.changes(), bareRate, written.changes() / seconds,
                written.changes() / seconds / bareRate));
    }

    /**
     * Commits workload transactions at the options' rate on one connection (synchronous commits, unless {@code
     * --async-commit}: one synchronous writer cannot reach 2,000 changes/s on a disk that takes a millisecond per
     * fsync): first for {@code --settle} seconds untimed — the stream's shape changes from catch-up to a trickle, and
     * the JIT compilers recompile for it — then calls {@code measuring} and for {@code --seconds} times each
     * transaction from its commit returning until the warehouse reflects it.
     */
    private static void latency(AppliedPosition pipeline, LockstepEngine run, ShopWorkload workload, TrackedCommits live,
            Options options, Runnable measuring) throws Exception {
        Queue<Commit> pending = new ConcurrentLinkedQueue<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Long> nanos = new ArrayList<>();
        long[] changes = {0};
        long[] batches = {0, -1}; // warehouse transactions seen, last applied position
        Written[] written = new Written[1];
        long measureFrom = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.settle());
        boolean[] measured = {false};
        Thread thread = new Thread(() -> {
            try {
                written[0] = SourceWriter.write(workload, live, (long) options.rate() * (options.settle()
                        + options.seconds()), options.rate(), stop::get, pending::add);
            } catch (SQLException | RuntimeException e) {
                failure.set(e);
            }
        }, "e2e-latency-writer");
        thread.start();
        try {
            // Each poll: the applied position, read after the query returned (late by at most one poll interval and
            // one query), settles every pending transaction at or below it.
            pipeline.await(run, () -> {
                if (!thread.isAlive() && pending.isEmpty()) {
                    return true;
                }
                if (!measured[0] && System.nanoTime() >= measureFrom) {
                    measured[0] = true;
                    measuring.run();
                }
                long applied = pipeline.applied();
                long seen = System.nanoTime();
                if (applied != batches[1]) {
                    batches[0] += batches[1] < 0 || !measured[0] ? 0 : 1;
                    batches[1] = applied;
                }
                for (Commit head = pending.peek(); head != null && head.lsn() <= applied; head = pending.peek()) {
                    pending.poll();
                    if (head.committedNanos() >= measureFrom) {
                        nanos.add(seen - head.committedNanos());
                        changes[0] += head.changes();
                    }
                }
                return false;
            });
        } finally {
            stop.set(true);
            thread.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        Collections.sort(nanos);
        double seconds = written[0].nanos() / 1e9;
        line("commit -> warehouse", String.format("p50 %.1f ms, p99 %.1f ms, max %.1f ms (%,d transactions, %,d "
                + "changes; warehouse polled every %d ms)", Figures.percentile(nanos, 0.5) / 1e6,
                Figures.percentile(nanos, 0.99) / 1e6, nanos.get(nanos.size() - 1) / 1e6, nanos.size(), changes[0],
                options.pollMillis()));
        line("", String.format("written at %,.0f changes/s (%s commits; asked: %,d), applied in %,d warehouse "
                + "transactions", written[0].changes() / seconds, options.asyncCommit() ? "asynchronous"
                : "synchronous", options.rate(), batches[0]));
    }

    /** Drops bare Debezium's slot and publication, so that they retain no WAL for the rest of the run. */
    private static void dropBareSlot(EmbeddedPostgres pg, String slot) throws Exception {
        try (Connection c = pg.connect("shop"); Statement s = c.createStatement()) {
            for (int attempt = 0; ; attempt++) {
                try {
                    s.execute("SELECT pg_drop_replication_slot('" + slot + "')");
                    break;
                } catch (SQLException e) {
                    if (attempt == 100) {
                        throw e;
                    }
                    TimeUnit.MILLISECONDS.sleep(100); // the walsender may still hold it for a moment
                }
            }
            s.execute("DROP PUBLICATION IF EXISTS bare");
        }
    }

    /**
     * The star schema's size (counted) and how fresh its statistics are, over the partitions of a partitioned table:
     * the applier analyzes after the initial snapshot, autovacuum after that.
     */
    private static String warehouseSize(Connection warehouse) throws SQLException {
        StringBuilder out = new StringBuilder();
        try (Statement s = warehouse.createStatement()) {
            s.execute("SELECT pg_stat_clear_snapshot()"); // statistics read earlier in a transaction are cached
        }
        for (String table : List.of("dim_customer", "fact_order_line")) {
            try (Statement s = warehouse.createStatement(); ResultSet rs = s.executeQuery("SELECT (SELECT count(*) "
                    + "FROM shop_dw." + table + "), bool_and(greatest(t.last_analyze, t.last_autoanalyze) IS NOT NULL), "
                    + "sum(t.n_mod_since_analyze) FROM pg_stat_user_tables t WHERE t.relid IN (SELECT relid FROM "
                    + "pg_partition_tree('shop_dw." + table + "') WHERE isleaf) OR t.relid = 'shop_dw." + table
                    + "'::regclass AND (SELECT relkind FROM pg_class WHERE oid = t.relid) = 'r'")) {
                rs.next();
                out.append(out.isEmpty() ? "" : "; ").append(String.format("%s %,d rows (%s, %,d changed since)",
                        table, rs.getLong(1), rs.getBoolean(2) ? "analyzed" : "not all analyzed", rs.getLong(3)));
            }
        }
        return out.toString();
    }

    private static void line(String label, String figures) {
        System.out.printf("%-26s: %s%n", label, figures);
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            System.err.println("could not delete " + path + ": " + e);
        }
    }
}
