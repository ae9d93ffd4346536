package dev.lockstep.benchmarks;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.embedded.EmbeddedKafka;
import dev.lockstep.embedded.EmbeddedPostgres;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Extract throughput and latency, Lockstep beside bare Debezium Embedded, on the same data in the same run.
 *
 * <p>Throughput: N row changes (transactions of {@code --per-transaction} rows, 100 unless told) are written while
 * the stage is stopped, then the stage
 * is started and timed until it has handled them all (bare Debezium: counted in its consumer; Lockstep: written
 * to Kafka in committed transactions). Latency: a writer commits transactions of 10 rows at a fixed rate, and
 * each change's source commit → handled time is recorded.
 */
public final class ExtractBenchmark {

    private static final String TABLE = "public.bench";

    private ExtractBenchmark() {}

    public static void main(String[] args) throws Exception {
        int changes = Figures.intArg(args, "--changes", 200_000);
        int rate = Figures.intArg(args, "--rate", 2_000);
        int seconds = Figures.intArg(args, "--seconds", 20);
        int perTransaction = Figures.intArg(args, "--per-transaction", 100);
        Path base = Files.createTempDirectory("lockstep-extract-bench");
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().baseDirectory(base).databases("bench").build().start();
                EmbeddedKafka kafka = EmbeddedKafka.builder().baseDirectory(base).build().start()) {
            sql(pg, "CREATE TABLE bench (id bigint PRIMARY KEY, a int, b text, c numeric(12,2), d timestamptz)");
            System.out.printf("extract benchmark: %,d changes (transactions of %d rows), latency at %,d changes/s "
                    + "for %d s%n", changes, perTransaction, rate, seconds);

            BareDebezium bare = new BareDebezium(pg, "bench", List.of(TableId.parse(TABLE)),
                    args.length > 0 && List.of(args).contains("--bare-minimal"));
            bare.startAndAwaitSlot(pg);
            bare.stop();
            write(pg, 0, changes, perTransaction);
            double bareRate = bare.timeUntil(pg, changes);
            bare.latency.clear();
            long[] bareLatency = bare.measureLatency(pg, changes, rate, seconds);
            bare.stop();
            System.out.printf("bare Debezium Embedded : %,.0f events/s; commit -> consumer latency p50 %d ms, p99 %d ms%n",
                    bareRate, bareLatency[0], bareLatency[1]);

            ExtractSettings settings = ExtractSettings.of("bench", "localhost", pg.port(), "bench", pg.user(), "",
                    List.of(TableId.parse(TABLE)), kafka.bootstrapServers())
                    .withSnapshot(ExtractSettings.SnapshotMode.NEVER);
            try (PostgresCdcSource first = new PostgresCdcSource(settings).start()) {
                awaitSlot(pg, settings.slotName());
            }
            int offset = changes + rate * seconds + 1_000;
            write(pg, offset, changes, perTransaction);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            long started = System.nanoTime();
            try (PostgresCdcSource extract = new PostgresCdcSource(settings).start()) {
                extract.metrics().bindTo(registry);
                while (extract.metrics().totalEvents() < changes) {
                    Thread.sleep(20);
                }
                double lockstepRate = changes / ((System.nanoTime() - started) / 1e9);
                long commits = extract.metrics().totalCommits();
                long batches = extract.metrics().totalCommittedBatches();
                Timer commit = registry.find("lockstep.extract.commit").timer();
                System.out.printf("catch-up Kafka commits : %,d transactions carrying %,d Debezium batches (%.2f per "
                        + "transaction), mean commit %.1f ms%n", commits, batches, batches / (double) commits,
                        commit.mean(TimeUnit.MILLISECONDS));
                // Latency phase on a fresh registry: the catch-up above must not count.
                SimpleMeterRegistry latencyRegistry = new SimpleMeterRegistry();
                extract.metrics().bindTo(latencyRegistry);
                Timer lag = latencyRegistry.find("lockstep.extract.lag").timer();
                long before = lag.count();
                write(pg, offset + changes, rate * seconds, 10, rate);
                long target = changes + (long) rate * seconds;
                while (extract.metrics().totalEvents() < target) {
                    Thread.sleep(20);
                }
                ValueAtPercentile[] p = lag.takeSnapshot().percentileValues();
                System.out.printf("Lockstep extract       : %,.0f events/s; commit -> Kafka committed latency p50 %.0f ms, "
                        + "p99 %.0f ms (%d transactions)%n", lockstepRate, p[0].value(TimeUnit.MILLISECONDS),
                        p[1].value(TimeUnit.MILLISECONDS), lag.count() - before);
            }
            System.out.printf("heap used at the end: %d MiB (max %d MiB)%n",
                    (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20,
                    Runtime.getRuntime().maxMemory() >> 20);
        }
    }

    /**
     * Debezium Embedded counting records and nothing else. By default with the extract's own Debezium settings
     * ({@link PostgresCdcSource#debeziumProperties}: transaction metadata, source types, heartbeats, …), offsets in memory;
     * {@code minimal} keeps only what any user sets (pgoutput, batch sizes, precise decimals, metrics off), as the
     * figures recorded before 2026-12-03 (issue #15) did.
     */
    static final class BareDebezium {
        static final Duration TIMEOUT = Duration.ofMinutes(10);
        final AtomicLong events = new AtomicLong();
        final List<Long> latency = Collections.synchronizedList(new ArrayList<>());
        final Properties properties = new Properties();
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
        ExecutorService thread;
        private final String database;
        private final String slot;

        /** Captures {@code tables} of {@code database}. */
        BareDebezium(EmbeddedPostgres pg, String database, List<TableId> tables, boolean minimal) {
            this.database = database;
            if (minimal) {
                slot = "bare";
                properties.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
                properties.setProperty("database.hostname", "localhost");
                properties.setProperty("database.port", Integer.toString(pg.port()));
                properties.setProperty("database.user", pg.user());
                properties.setProperty("database.password", "");
                properties.setProperty("database.dbname", database);
                properties.setProperty("topic.prefix", "bare");
                properties.setProperty("plugin.name", "pgoutput");
                properties.setProperty("slot.name", slot);
                properties.setProperty("publication.name", "bare");
                properties.setProperty("publication.autocreate.mode", "filtered");
                properties.setProperty("table.include.list", String.join(",", tables.stream()
                        .map(t -> java.util.regex.Pattern.quote(t.toString())).toList()));
                properties.setProperty("poll.interval.ms", "5");
                properties.setProperty("max.batch.size", "8192");
                properties.setProperty("max.queue.size", "32768");
                properties.setProperty("statistics.metrics.enabled", "false");
                properties.setProperty("decimal.handling.mode", "precise");
                properties.setProperty("time.precision.mode", "adaptive_time_microseconds");
            } else {
                ExtractSettings settings = ExtractSettings.of("bare", "localhost", pg.port(), database, pg.user(), "",
                        tables, "unused:9092").withSnapshot(ExtractSettings.SnapshotMode.NEVER);
                slot = settings.slotName();
                properties.putAll(PostgresCdcSource.debeziumProperties(settings));
            }
            properties.setProperty("name", "bare");
            properties.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
            properties.setProperty("offset.flush.interval.ms", "0");
            properties.setProperty("snapshot.mode", "no_data");
        }

        /** The replication slot this engine reads. */
        String slot() {
            return slot;
        }

        void start() {
            engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class)).using(properties)
                    .notifying((records, committer) -> {
                        long now = System.currentTimeMillis() * 1000;
                        for (RecordChangeEvent<SourceRecord> r : records) {
                            if (r.record().value() instanceof Struct value && value.schema().field("source") != null
                                    && value.schema().field("op") != null
                                    && !PostgresCdcSource.HELPER_SCHEMA.equals(value.getStruct("source").getString("schema"))) {
                                latency.add(now - value.getStruct("source").getInt64("ts_us"));
                                events.incrementAndGet();
                            }
                            committer.markProcessed(r);
                        }
                        committer.markBatchFinished();
                    }).build();
            thread = Executors.newSingleThreadExecutor();
            thread.execute(engine);
        }

        void startAndAwaitSlot(EmbeddedPostgres pg) throws Exception {
            start();
            awaitSlot(pg, database, slot);
        }

        /**
         * Starts (offsets kept in memory: the slot's confirmed position is where it resumes) and times N events;
         * gives up after {@link #TIMEOUT}.
         */
        double timeUntil(EmbeddedPostgres pg, long n) throws Exception {
            events.set(0);
            long started = System.nanoTime();
            start();
            while (events.get() < n) {
                if (System.nanoTime() - started > TIMEOUT.toNanos()) {
                    throw new IllegalStateException("bare Debezium counted " + events.get() + " of " + n
                            + " events in " + TIMEOUT);
                }
                Thread.sleep(5);
            }
            return n / ((System.nanoTime() - started) / 1e9);
        }

        long[] measureLatency(EmbeddedPostgres pg, int offset, int rate, int seconds) throws Exception {
            latency.clear();
            long target = events.get() + (long) rate * seconds;
            write(pg, offset, rate * seconds, 10, rate);
            while (events.get() < target) {
                Thread.sleep(5);
            }
            List<Long> sorted = new ArrayList<>(latency);
            Collections.sort(sorted);
            return new long[] {Figures.percentile(sorted, 0.5) / 1000, Figures.percentile(sorted, 0.99) / 1000};
        }

        /** Stops the engine; one whose tasks are still starting refuses to close, so that is retried for a while. */
        void stop() throws Exception {
            for (int attempt = 1; ; attempt++) {
                try {
                    engine.close();
                    break;
                } catch (IllegalStateException e) {
                    if (attempt == 600) {
                        throw e;
                    }
                    Thread.sleep(100);
                }
            }
            thread.shutdown();
            thread.awaitTermination(60, TimeUnit.SECONDS);
        }
    }

    static void write(EmbeddedPostgres pg, int from, int rows, int perTransaction) throws Exception {
        write(pg, from, rows, perTransaction, 0);
    }

    /** Inserts {@code rows} rows from id {@code from}, {@code perTransaction} per commit, at {@code rate}/s (0: as fast as possible). */
    static void write(EmbeddedPostgres pg, int from, int rows, int perTransaction, int rate) throws Exception {
        try (Connection c = pg.connect("bench");
                PreparedStatement insert = c.prepareStatement("INSERT INTO bench SELECT g, g % 1000, 'row ' || g, "
                        + "g * 1.25, now() FROM generate_series(?::bigint, ?::bigint) g")) {
            long started = System.nanoTime();
            for (int done = 0; done < rows; done += perTransaction) {
                insert.setLong(1, from + done);
                insert.setLong(2, from + Math.min(done + perTransaction, rows) - 1L);
                insert.executeUpdate();
                if (rate > 0) {
                    long due = started + (long) ((done + perTransaction) * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
            }
        }
    }

    static void awaitSlot(EmbeddedPostgres pg, String slot) throws Exception {
        awaitSlot(pg, "bench", slot);
    }

    /** Waits until replication slot {@code slot} is in use, asking through database {@code database}. */
    static void awaitSlot(EmbeddedPostgres pg, String database, String slot) throws Exception {
        for (int i = 0; i < 6000; i++) {
            try (Connection c = pg.connect(database); Statement s = c.createStatement();
                    var rs = s.executeQuery("SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
                if (rs.next() && rs.getBoolean(1)) {
                    return;
                }
            }
            Thread.sleep(10);
        }
        throw new IllegalStateException("slot " + slot + " never became active");
    }

    static void sql(EmbeddedPostgres pg, String statement) throws Exception {
        try (Connection c = pg.connect("bench"); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
