package dev.lockstep.benchmarks;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.embedded.EmbeddedKafka;
import dev.lockstep.embedded.EmbeddedPostgres;
import dev.lockstep.shop.ShopDatabase;
import dev.lockstep.shop.ShopDefinition;
import dev.lockstep.shop.ShopWorkload;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Apply throughput, the raw layer alone beside the full apply (raw layer, dimensions, facts), on the same changes
 * topic in the same run.
 *
 * <p>A shop source is seeded, the real extract snapshots it and streams {@code --changes} row changes written in
 * SQL-generated transactions (the shop's bulk mix, {@link ShopWorkload.Mix#BULK}); once all are in Kafka the extract
 * stops. Then (a) the raw layer's COPY → merge alone, into warehouse database A, and (b) the full apply, into database
 * B, each read the topic from offset 0 (read_committed) and are timed from opening the applier until its next offset
 * reaches the topic's end. {@code --repeat} also runs b then a on fresh databases, to see JIT and cache order effects.
 *
 * <p>Diagnostics: {@code --statements} loads pg_stat_statements and prints each run's costliest statements and
 * where its wall time went; {@code --explain MS} logs the plans of statements over MS ms (auto_explain, with
 * ANALYZE and BUFFERS, which slows every statement) to a file; {@code --keep S} keeps the servers up S seconds.
 */
public final class ApplyBenchmark {

    private static final String PIPELINE = "shop";
    private static final String SCHEMA = "shop_dw";
    private static final Duration TIMEOUT = Duration.ofMinutes(20);
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private ApplyBenchmark() {}

    /** The command line; {@code explain} is -1 when plans are not logged. */
    /** The batches of each window --statements compares, early against late. */
    private static final int GROWTH_WINDOW = 5;

    record Options(int changes, int batchSize, boolean repeat, boolean statements, int explain, int keep) {

        static Options parse(String[] args) {
            return new Options(Figures.intArg(args, "--changes", 200_000), Figures.intArg(args, "--batch-size", 5_000),
                    List.of(args).contains("--repeat"), List.of(args).contains("--statements"),
                    Figures.intArg(args, "--explain", -1), Figures.intArg(args, "--keep", 0));
        }

        boolean explains() {
            return explain >= 0;
        }
    }

    /**
     * One apply run: what it read, how long it took (in all, and each batch: from the end of the previous one to
     * its commit), and for a full apply the star schema's rows.
     */
    record Run(String label, boolean full, long topicRecords, List<Long> batchNanos, long nanos, long cpuNanos,
            long targetRows, long targetWrites) {

        double seconds() {
            return nanos / 1e9;
        }

        /** Returns the mean time in ms of the batches from {@code from} (inclusive) to {@code to} (exclusive). */
        double batchMillis(int from, int to) {
            return batchNanos.subList(from, to).stream().mapToLong(Long::longValue).average().orElse(0) / 1e6;
        }
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Path base = Files.createTempDirectory("lockstep-apply-bench");
        try (EmbeddedPostgres pg = postgres(base, options).start();
                EmbeddedKafka kafka = EmbeddedKafka.builder().baseDirectory(base).build().start()) {
            ShopDatabase shop = ShopDatabase.bulk(options.changes());
            ShopWarehouse warehouse = deploy(pg, base, shop, options.batchSize());
            System.out.printf("apply benchmark: snapshot of %,d rows (%,d customers, %,d products, %d categories), "
                    + "then %,d changes in transactions of ~139 rows; batch size %,d%n", shop.snapshotRows(),
                    shop.customers(), shop.products(), shop.categories(), options.changes(), options.batchSize());
            long changes = extract(pg, kafka, shop, options.changes());
            List<Run> runs = applyAll(pg, kafka.bootstrapServers(), warehouse, options, changes);
            line("full apply / raw only", String.format("%.2f of the changes/s", runs.get(0).seconds()
                    / runs.get(1).seconds()));
            System.out.printf("heap used at the end: %d MiB (max %d MiB)%n",
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20,
                    Runtime.getRuntime().maxMemory() >> 20);
            keepForDiagnosis(pg, kafka, options);
        } finally {
            deleteQuietly(base.resolve("shop.yaml"));
            deleteQuietly(base); // the services removed their own directories in it
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            System.err.println("could not delete " + path + ": " + e);
        }
    }

    private static EmbeddedPostgres postgres(Path base, Options options) {
        EmbeddedPostgres.Builder postgres = EmbeddedPostgres.builder().baseDirectory(base)
                .databases("shop", "warehouse_a1", "warehouse_b1");
        if (options.statements() || options.explains()) {
            postgres.serverConfig("shared_preload_libraries", "pg_stat_statements"
                    + (options.explains() ? ",auto_explain" : ""))
                    .serverConfig("pg_stat_statements.track_planning", "on");
        }
        if (options.explains()) {
            postgres.serverConfig("auto_explain.log_min_duration", Integer.toString(options.explain()))
                    .serverConfig("auto_explain.log_analyze", "on").serverConfig("auto_explain.log_buffers", "on");
        }
        return postgres.build();
    }

    /** Seeds the source and checks the definition against it and warehouse B, as {@code lockstep apply} does. */
    private static ShopWarehouse deploy(EmbeddedPostgres pg, Path base, ShopDatabase shop, int batchSize)
            throws Exception {
        try (Connection c = pg.connect("shop")) {
            shop.create(c);
        }
        Path file = base.resolve("shop.yaml");
        Files.writeString(file, ShopDefinition.bulk(PIPELINE, pg.port(), pg.user(), "shop", "warehouse_b1",
                SCHEMA, batchSize));
        return ShopWarehouse.of(file);
    }

    /**
     * Runs the extract: snapshot, then the workload while it streams; stops it once every change is in Kafka.
     * Returns how many row changes the topic holds (snapshot rows included).
     */
    private static long extract(EmbeddedPostgres pg, EmbeddedKafka kafka, ShopDatabase shop, int changes)
            throws Exception {
        ExtractSettings settings = ExtractSettings.of(PIPELINE, "localhost", pg.port(), "shop", pg.user(), "",
                ShopWarehouse.TABLES, kafka.bootstrapServers());
        try (PostgresCdcSource extract = new PostgresCdcSource(settings).start()) {
            awaitEvents(extract, shop.snapshotRows());
            long started = System.nanoTime();
            ShopWorkload workload = new ShopWorkload(shop, 0); // the bulk mix: the same rows whatever the seed
            try (Connection c = pg.connect("shop")) {
                workload.run(c, changes, 0, () -> false);
            }
            double writeSeconds = (System.nanoTime() - started) / 1e9;
            long total = shop.snapshotRows() + workload.changes();
            awaitEvents(extract, total);
            line("source + extract", String.format("%,d changes in %,d transactions written in %.1f s, all in Kafka "
                    + "after %.1f s", workload.changes(), workload.transactions(), writeSeconds,
                    (System.nanoTime() - started) / 1e9));
            return total;
        }
    }

    /** Waits until the extract has committed {@code target} row changes to Kafka. */
    static void awaitEvents(PostgresCdcSource extract, long target) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (extract.metrics().totalEvents() < target) {
            if (extract.completion().isDone()) {
                extract.completion().get(); // throws what stopped it
                throw new IllegalStateException("the extract stopped after " + extract.metrics().totalEvents()
                        + " of " + target + " changes");
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the extract wrote " + extract.metrics().totalEvents() + " of "
                        + target + " changes in " + TIMEOUT);
            }
            Thread.sleep(20);
        }
    }

    /** Runs (a) then (b), and with --repeat (b) then (a) again, each into a fresh warehouse database. */
    private static List<Run> applyAll(EmbeddedPostgres pg, String bootstrap, ShopWarehouse warehouse,
            Options options, long changes) throws Exception {
        long end = endOffset(bootstrap);
        List<String> order = options.repeat() ? List.of("a1", "b1", "b2", "a2") : List.of("a1", "b1");
        List<Run> runs = new ArrayList<>();
        try (KafkaSchemaStore store = KafkaSchemaStore.open(bootstrap)) {
            for (String name : order) {
                String database = "warehouse_" + name;
                boolean full = name.startsWith("b");
                pg.createDatabase(database);
                warehouse.migrate(pg.jdbcUrl(database), pg.user(), full);
                if (options.statements()) {
                    Profile.reset(pg, database);
                }
                String label = (full ? "(b) full apply" : "(a) raw COPY -> merge") + (name.endsWith("2")
                        ? ", again" : "");
                Run run = apply(pg, database, label, warehouse, full, bootstrap, store, end, options.batchSize(),
                        options.statements());
                print(run, changes);
                if (options.statements()) {
                    printTimeSplit(run, Profile.print(pg, database) / 1e3);
                }
                runs.add(run);
            }
        }
        return runs;
    }

    /** Applies the whole changes topic to {@code database}, timed from opening the applier to reaching {@code end}. */
    private static Run apply(EmbeddedPostgres pg, String database, String label, ShopWarehouse warehouse,
            boolean full, String bootstrap, KafkaSchemaStore store, long end, int batchSize, boolean statements)
            throws Exception {
        long records = 0;
        // With --statements, pg_stat_statements every GROWTH_WINDOW batches: the second window against the last.
        List<Map<Long, Profile.Counters>> snapshots = new ArrayList<>();
        List<Long> batches = new ArrayList<>();
        long nanos;
        long cpu = THREADS.getCurrentThreadCpuTime();
        try (Connection c = pg.connect(database); Connection side = pg.connect(database)) {
            long started = System.nanoTime();
            WarehouseApplier applier = full
                    ? WarehouseApplier.open(c, PIPELINE, SCHEMA, warehouse.tables(), ShopWarehouse.VERSION, batchSize,
                            Optional.of(warehouse.star()))
                    : WarehouseApplier.open(c, PIPELINE, SCHEMA, warehouse.tables(), ShopWarehouse.VERSION, batchSize);
            try (ChangeStreamReader reader = ChangeStreamReader.open(bootstrap, PIPELINE, applier.nextOffset(),
                    applier.applied(), store)) {
                long last = System.nanoTime();
                while (applier.nextOffset() < end) {
                    long before = applier.nextOffset();
                    records += applier.applyOnce(reader, Duration.ofMillis(100));
                    if (applier.nextOffset() > before) {
                        batches.add(System.nanoTime() - last);
                        if (statements && batches.size() % GROWTH_WINDOW == 0) {
                            snapshots.add(Profile.snapshot(side));
                        }
                        last = System.nanoTime();
                    }
                }
            }
            nanos = System.nanoTime() - started;
        }
        if (snapshots.size() >= 4) {
            int n = snapshots.size();
            Profile.printGrowth(Profile.between(snapshots.get(0), snapshots.get(1)),
                    Profile.between(snapshots.get(n - 2), snapshots.get(n - 1)), GROWTH_WINDOW);
        }
        cpu = THREADS.getCurrentThreadCpuTime() - cpu;
        long rows = full ? Profile.targetRows(pg, database, SCHEMA) : 0;
        long writes = full ? Profile.targetWrites(pg, database, SCHEMA) : 0;
        return new Run(label, full, records, batches, nanos, cpu, rows, writes);
    }

    private static void print(Run run, long changes) {
        int n = run.batchNanos().size();
        int tenth = Math.max(1, (n - 2) / 10);
        // The first tenth and the last tenth of the batches, leaving out the first (it also starts the consumer)
        // and the last (it also waits for the position to pass the last Kafka commit marker).
        double early = n < 3 ? 0 : run.batchMillis(1, 1 + tenth);
        double late = n < 3 ? 0 : run.batchMillis(n - 1 - tenth, n - 1);
        line(run.label(), String.format("%,d changes in %.1f s = %,.0f changes/s (%,d topic records; %d batches: "
                + "%.0f ms early, %.0f ms late)", changes, run.seconds(), changes / run.seconds(), run.topicRecords(),
                n, early, late));
        if (run.full()) {
            line("", String.format("%,d dimension + fact rows = %,.0f rows/s; %,d rows inserted or updated = %,.0f/s",
                    run.targetRows(), run.targetRows() / run.seconds(), run.targetWrites(),
                    run.targetWrites() / run.seconds()));
        }
    }

    /** Prints one aligned line of figures. */
    private static void line(String label, String figures) {
        System.out.printf("%-28s %s %s%n", label, label.isEmpty() ? " " : ":", figures);
    }

    private static void printTimeSplit(Run run, double sqlSeconds) {
        double cpu = run.cpuNanos() / 1e9;
        System.out.printf("  wall %.1f s: SQL %.1f s (pg_stat_statements), apply thread CPU %.1f s (decode, COPY "
                + "text, JDBC), rest %.1f s (Kafka fetches, network, waiting for a core)%n", run.seconds(), sqlSeconds,
                cpu, run.seconds() - sqlSeconds - cpu);
    }

    private static void keepForDiagnosis(EmbeddedPostgres pg, EmbeddedKafka kafka, Options options)
            throws Exception {
        if (options.explains()) {
            Path plans = Files.createTempFile("lockstep-apply-plans", ".log");
            Files.copy(pg.dataDirectory().resolveSibling("postgres.log"), plans, StandardCopyOption.REPLACE_EXISTING);
            System.out.printf("plans of the statements over %d ms (auto_explain): %s%n", options.explain(), plans);
        }
        if (options.keep() > 0) {
            System.out.printf("keeping the servers for %d s: psql -h localhost -p %d -U %s warehouse_b1; Kafka at %s%n",
                    options.keep(), pg.port(), pg.user(), kafka.bootstrapServers());
            Thread.sleep(options.keep() * 1000L);
        }
    }

    /** Returns the changes topic's end offset for a read_committed consumer. */
    static long endOffset(String bootstrap) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap,
                "isolation.level", "read_committed", "key.deserializer", ByteArrayDeserializer.class,
                "value.deserializer", ByteArrayDeserializer.class))) {
            TopicPartition partition = new TopicPartition(TopicNames.changes(PIPELINE), 0);
            return consumer.endOffsets(List.of(partition)).get(partition);
        }
    }

    static long queryLong(Connection c, String sql) throws Exception {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
