package dev.lockstep.benchmarks;

import dev.lockstep.benchmarks.SourceWriter.Commit;
import dev.lockstep.embedded.EmbeddedKafka;
import dev.lockstep.embedded.EmbeddedPostgres;
import dev.lockstep.migrations.Deployments;
import dev.lockstep.runtime.Deployer;
import dev.lockstep.runtime.LockstepEngine;
import dev.lockstep.shop.AlertsWebhook;
import dev.lockstep.shop.ShopDatabase;
import dev.lockstep.shop.ShopDefinition;
import dev.lockstep.shop.ShopWorkload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A deployment's rebuild on a large fact table while the pipeline streams: the shop (by default 1M order lines) is
 * loaded by the pipeline's snapshot; a writer then commits the day mix at {@code --rate} changes/s while a changed
 * definition — a new measure of {@code order_line} that reads its {@code ord} lookup — is deployed to the running
 * pipeline, whose applier rebuilds it from the raw layer chunk by chunk between its batches. Figures: commit →
 * warehouse latency of the transactions committed during the rebuild (as {@code e2e} measures it), the rebuild's
 * rows/s, and the rows/s of one {@code UPDATE … FROM} the raw layer deriving the same expression for the same rows
 * in the same run (the pipeline idle), for the ratio.
 */
public final class RebuildBenchmark {

    /** The new measure, derived from the line and its order (the lookup the applier probes per row). */
    static final String MEASURE = "share_of_order: round(quantity * unit_price / nullif(ord.total, 0), 4)";

    private RebuildBenchmark() {}

    /**
     * {@code series}: the latency is also printed by 5 s of commit time since the deploy began, before and after it
     * too (where it peaks), with what the warehouse's sessions were sampled doing then when {@code --waits} runs.
     */
    record Options(int rate, int chunk, int settle, int after, int pollMillis, ShopDatabase shop, boolean series) {
        static Options parse(String[] args) {
            return new Options(Figures.intArg(args, "--rate", 1_000), Figures.intArg(args, "--chunk-size", 10_000),
                    Figures.intArg(args, "--settle", 10), Figures.intArg(args, "--after", 5),
                    Figures.intArg(args, "--poll-ms", 2), new ShopDatabase(Figures.intArg(args, "--customers", 200_000),
                            Figures.intArg(args, "--products", 300), Figures.intArg(args, "--orders", 333_334)),
                    java.util.Arrays.asList(args).contains("--series"));
        }
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        // --explain: the warehouse server logs the plan of each statement over 100 ms, with its timings (a profile).
        boolean explain = java.util.Arrays.asList(args).contains("--explain");
        // --waits: what the warehouse's sessions wait for, sampled every 10 ms (the rebuild's, then the UPDATE's).
        boolean waits = java.util.Arrays.asList(args).contains("--waits");
        Path file = Path.of(EndToEndBenchmark.DEFINITION);
        if (!Files.isRegularFile(file)) {
            System.err.println(file + " not found: run from the repository root");
            System.exit(2);
        }
        Path base = Files.createTempDirectory("lockstep-rebuild-bench");
        Path changed = base.resolve("pipeline-changed.yaml");
        String definition = Files.readString(file);
        String measures = "      amount: \"round(quantity * unit_price * (1 - coalesce(discount_pct, 0) / 100.0), 2)\"\n";
        if (!definition.contains(measures)) {
            throw new IllegalStateException(file + " no longer has order_line's amount measure as the benchmark "
                    + "expects");
        }
        Files.writeString(changed, definition.replace(measures, measures + "      " + MEASURE + "\n"));
        ShopDatabase shop = options.shop();
        try (AlertsWebhook webhook = AlertsWebhook.start();
                EmbeddedPostgres pg = EmbeddedPostgres.builder().baseDirectory(base).databases("shop").build()
                        .start();
                EmbeddedPostgres wpg = warehouseServer(base, explain).start();
                EmbeddedKafka kafka = EmbeddedKafka.builder().baseDirectory(base).build().start();
                Connection writer = pg.connect("shop");
                Connection warehouse = wpg.connect("warehouse");
                Connection states = wpg.connect("warehouse");
                Connection sampled = wpg.connect("warehouse")) {
            shop.create(writer);
            Map<String, String> environment = ShopDefinition.environment(pg.jdbcUrl("shop"), pg.user(),
                    wpg.jdbcUrl("warehouse"), wpg.user(), webhook.url());
            AppliedPosition pipeline = new AppliedPosition(warehouse, options.pollMillis());
            ShopWorkload workload = new ShopWorkload(shop, EndToEndBenchmark.SEED);
            TrackedCommits live = new TrackedCommits(writer);
            System.out.printf("rebuild benchmark: shop of %,d customers, %,d orders, a new measure rebuilt while the "
                    + "day mix writes %,d changes/s; chunks of %,d rows%n", shop.customers(), shop.orders(),
                    options.rate(), options.chunk());
            double rebuildRate;
            try (LockstepEngine run = LockstepEngine.builder(file).environment(environment::get)
                    .kafka(kafka.bootstrapServers()).start()) {
                long loading = System.nanoTime();
                pipeline.awaitSnapshot(run, shop.snapshotRows());
                line("snapshot (not timed)", String.format("%,d rows loaded by the pipeline in %.1f s",
                        shop.snapshotRows(), (System.nanoTime() - loading) / 1e9));
                long factRows = count(warehouse, "SELECT count(*) FROM shop_dw.fact_order_line");
                line("fact_order_line", String.format("%,d rows", factRows));
                WaitSampler sampler = waits ? new WaitSampler(sampled) : null;
                rebuildRate = measure(options, run, pipeline, workload, live, changed, environment, factRows,
                        states, sampler);
                if (sampler != null) {
                    sampler.close();
                    sampler.print(14);
                }
            }
            WaitSampler sampler = waits ? new WaitSampler(sampled) : null;
            baseline(warehouse, rebuildRate);
            if (sampler != null) {
                sampler.close();
                sampler.print(6);
            }
            if (explain || waits) {
                try (var logs = Files.walk(base)) {
                    for (Path log : logs.filter(f -> f.endsWith("postgres.log")).toList()) {
                        Path copy = Path.of("/tmp", "rebuild-" + log.getParent().getFileName() + "-postgres.log");
                        Files.copy(log, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        System.out.println("  server log copied to " + copy);
                    }
                }
            }
        } finally {
            Files.deleteIfExists(changed);
            Files.deleteIfExists(base);
        }
    }

    /**
     * The stream's latency while the deployment rebuilds, and the rebuild's own pace (returned, rows/s): it derives
     * every one of the fact's {@code rows}.
     */
    private static double measure(Options options, LockstepEngine run, AppliedPosition pipeline,
            ShopWorkload workload, TrackedCommits live, Path changed, Map<String, String> environment, long rows,
            Connection stateConnection, WaitSampler sampler) throws Exception {
        Queue<Commit> pending = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                SourceWriter.write(workload, live, Long.MAX_VALUE, options.rate(), stop::get, pending::add);
            } catch (Exception e) {
                failure.set(e);
            }
        }, "rebuild-bench-writer");
        // The rebuild starts from a checkpoint as the UPDATE does (full-page writes alike, a WAL-triggered checkpoint
        // comes every ~20 s under the rebuild anyway); taken before the settle time, whose stream it would stall.
        checkpoint(stateConnection);
        thread.start();
        long[] window = {Long.MAX_VALUE, Long.MAX_VALUE};
        AtomicReference<Deployer.Outcome> outcome = new AtomicReference<>();
        Thread deploy = new Thread(() -> {
            try {
                window[0] = System.nanoTime();
                outcome.set(Deployer.deploy(changed, new Deployer.Options(Deployer.Options.of("bench").overrides(),
                        "bench", false, options.chunk(), Duration.ofMinutes(30), notice -> { }, step -> { },
                        environment::get)));
                window[1] = System.nanoTime();
            } catch (Exception e) {
                failure.set(e);
            }
        }, "rebuild-bench-deploy");
        List<Long> during = new ArrayList<>();
        List<long[]> series = new ArrayList<>(); // commit time since the deploy began (or before it), latency
        List<String> states = new ArrayList<>(); // "<seconds> <state>" as the state changes
        List<Long> outside = new ArrayList<>();
        long settleUntil = System.nanoTime() + Duration.ofSeconds(options.settle()).toNanos();
        long[] endAt = {Long.MAX_VALUE};
        long[] phase = {Long.MAX_VALUE, Long.MAX_VALUE};
        long[] nextState = {0};
        try {
            pipeline.await(run, () -> {
                if (failure.get() != null) {
                    throw failure.get();
                }
                long now = System.nanoTime();
                if (now >= settleUntil && !deploy.isAlive() && window[0] == Long.MAX_VALUE) {
                    window[0] = System.nanoTime(); // set again by the deploy: the series' origin from now on
                    if (sampler != null) {
                        sampler.origin(window[0]);
                    }
                    deploy.start();
                }
                if (window[1] != Long.MAX_VALUE && endAt[0] == Long.MAX_VALUE) {
                    endAt[0] = now + Duration.ofSeconds(options.after()).toNanos();
                }
                if (window[0] != Long.MAX_VALUE && phase[1] == Long.MAX_VALUE && now >= nextState[0]) {
                    nextState[0] = now + 100_000_000L; // the deployment's state, every 100 ms
                    String state = deploymentState(stateConnection);
                    if (states.isEmpty() || !states.get(states.size() - 1).endsWith(" " + state)) {
                        states.add(String.format("%.1f s %s", (now - window[0]) / 1e9, state));
                    }
                    if (state.equals("rebuilding") && phase[0] == Long.MAX_VALUE) {
                        phase[0] = now;
                    } else if ((state.equals("switched") || state.equals("done")) && phase[0] != Long.MAX_VALUE) {
                        phase[1] = now;
                    }
                }
                long applied = pipeline.applied();
                long seen = System.nanoTime();
                for (Commit head = pending.peek(); head != null && head.lsn() <= applied; head = pending.peek()) {
                    pending.poll();
                    if (head.committedNanos() >= settleUntil) {
                        boolean in = head.committedNanos() >= window[0] && head.committedNanos() <= window[1];
                        (in ? during : outside).add(seen - head.committedNanos());
                        series.add(new long[] {head.committedNanos(), seen - head.committedNanos()});
                    }
                }
                return now >= endAt[0];
            });
        } finally {
            stop.set(true);
            thread.join();
            deploy.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        double seconds = (window[1] - window[0]) / 1e9;
        line("deployment", String.format("version %d %s in %.1f s (handed to the running pipeline: expand, rebuild, "
                + "switch)", outcome.get().version(), outcome.get().state().sql(), seconds));
        line("commit -> warehouse", "during the rebuild: " + percentiles(during));
        line("", "before and after it: " + percentiles(outside));
        if (options.series()) {
            line("states", String.join(", ", states));
            java.util.TreeMap<Long, List<Long>> buckets = new java.util.TreeMap<>();
            series.forEach(p -> buckets.computeIfAbsent(Math.floorDiv(p[0] - window[0], 1_000_000_000L),
                    b -> new ArrayList<>()).add(p[1]));
            long first = buckets.isEmpty() ? 0 : Math.floorDiv(buckets.firstKey(), 5);
            long last = buckets.isEmpty() ? -1 : Math.floorDiv(buckets.lastKey(), 5);
            for (long five = first; five <= last; five++) {
                List<Long> in = new ArrayList<>();
                for (long second = five * 5; second < five * 5 + 5; second++) {
                    in.addAll(buckets.getOrDefault(second, List.of()));
                }
                line(String.format("  %3d-%3d s", five * 5, five * 5 + 5), percentiles(in));
                if (sampler != null) {
                    line("", "  " + sampler.top(five * 5, five * 5 + 5, 3));
                }
                if (!in.isEmpty() && Figures.percentile(in, 0.99) > 900e6) { // where it peaks, second by second
                    for (long second = five * 5; second < five * 5 + 5; second++) {
                        List<Long> one = new ArrayList<>(buckets.getOrDefault(second, List.of()));
                        line(String.format("    %4d s", second), percentiles(one));
                        if (sampler != null) {
                            line("", "    " + sampler.top(second, second + 1, 4));
                        }
                    }
                }
            }
        }
        line("", String.format("%,d rows in %.1f s = %,.0f rows/s (planning, expand, rebuild and switch)", rows,
                seconds, rows / seconds));
        double rebuilding = (phase[1] - phase[0]) / 1e9;
        line("rebuild", String.format("%,d rows in %.1f s = %,.0f rows/s, between batches (state rebuilding until "
                + "switched: the chunks and the switch)", rows, rebuilding, rows / rebuilding));
        return rows / rebuilding;
    }

    /** One {@code UPDATE … FROM} the raw layer deriving the same expression for the same rows, the pipeline idle. */
    private static void baseline(Connection warehouse, double rebuildRate) throws Exception {
        try (Statement s = warehouse.createStatement()) {
            s.execute("ALTER TABLE shop_dw.fact_order_line ADD COLUMN bench_share numeric");
            checkpoint(warehouse);
            long start = System.nanoTime();
            int updated = s.executeUpdate("UPDATE shop_dw.fact_order_line f SET bench_share = round(r.quantity "
                    + "* r.unit_price / nullif(o.total, 0), 4) FROM shop_dw_raw.order_items r LEFT JOIN "
                    + "shop_dw_raw.orders o ON o.id = r.order_id AND NOT o._deleted WHERE f.id = r.id AND NOT "
                    + "r._deleted");
            double seconds = (System.nanoTime() - start) / 1e9;
            double rate = updated / seconds;
            line("UPDATE ... FROM raw", String.format("%,d rows in %.1f s = %,.0f rows/s (one statement, the "
                    + "pipeline stopped)", updated, seconds, rate));
            line("rebuild / UPDATE", String.format("%.2f of the rows/s", rebuildRate / rate));
            long differ = count(warehouse, "SELECT count(*) FROM shop_dw.fact_order_line WHERE bench_share IS "
                    + "DISTINCT FROM share_of_order AND NOT is_deleted");
            line("check", String.format("%,d of %,d rows differ between the rebuilt column and the UPDATE's",
                    differ, updated));
        }
    }

    private static EmbeddedPostgres warehouseServer(Path base, boolean explain) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().baseDirectory(base).databases("warehouse");
        if (explain) {
            builder.serverConfig("session_preload_libraries", "auto_explain")
                    .serverConfig("auto_explain.log_min_duration", "100ms")
                    .serverConfig("auto_explain.log_analyze", "on")
                    .serverConfig("auto_explain.log_buffers", "on")
                    .serverConfig("auto_explain.log_nested_statements", "on");
        }
        return builder.build();
    }

    private static void checkpoint(Connection c) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
        }
    }

    /** Returns the state of the benchmark's deployment (version 2), or "" before it is recorded. */
    private static String deploymentState(Connection c) throws Exception {
        // Read through the control schema's store, on the given connection (the data source opens none).
        Deployments deployments = new Deployments(new org.postgresql.ds.PGSimpleDataSource(), "shop");
        return deployments.status(c).filter(s -> s.version() == 2).map(s -> s.state().sql()).orElse("");
    }

    private static long count(Connection c, String sql) throws Exception {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String percentiles(List<Long> nanos) {
        if (nanos.isEmpty()) {
            return "no transactions";
        }
        Collections.sort(nanos);
        return String.format("p50 %.1f ms, p99 %.1f ms, max %.1f ms (%,d transactions)",
                Figures.percentile(nanos, 0.5) / 1e6, Figures.percentile(nanos, 0.99) / 1e6,
                nanos.get(nanos.size() - 1) / 1e6, nanos.size());
    }

    private static void line(String what, String figure) {
        System.out.printf("  %-22s %s%n", what, figure);
    }
}
