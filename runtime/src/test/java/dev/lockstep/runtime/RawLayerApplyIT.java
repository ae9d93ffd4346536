package dev.lockstep.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.connectors.PostgresSourceCatalog;
import dev.lockstep.core.definition.SourcePostgres;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.migrations.WarehouseMigrations;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import dev.lockstep.warehouse.raw.RawLayerDdl;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Extract → changes topic → raw layer: the raw layer mirrors the source exactly (every type, unchanged TOAST,
 * deletes, TRUNCATE), a rewound offset changes nothing, and a poison record is quarantined while the stream
 * goes on.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RawLayerApplyIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "rawit";
    /** Every column; an unconstrained numeric compared by value (Debezium's pgoutput decoding drops its scale). */
    static final String COLUMNS = "id, i2, num, trim_scale(num_free), r, d, t, b, dt, tm, ts, tstz, u, j, jb, by, arr, "
            + "tags, m, body";
    static PostgresCdcSource extract;
    static KafkaSchemaStore store;
    static Map<TableId, SourceTable> tables;

    @BeforeAll
    static void startExtract() throws Exception {
        services.execute("src", "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
                "CREATE TABLE kinds (id bigint PRIMARY KEY, i2 smallint, num numeric(12,3), num_free numeric, r real, "
                        + "d double precision, t text, b boolean, dt date, tm time, ts timestamp, tstz timestamptz, "
                        + "u uuid, j json, jb jsonb, by bytea, arr int[], tags text[], m mood, body text)",
                "ALTER TABLE kinds ALTER COLUMN body SET STORAGE EXTERNAL",
                "CREATE TABLE logs (id int PRIMARY KEY, line text)",
                "INSERT INTO kinds SELECT " + row("g") + " FROM generate_series(1, 2000) g",
                "INSERT INTO logs SELECT g, 'line ' || g FROM generate_series(1, 50) g");
        String url = services.jdbcUrl("src");
        SourcePostgres source = new SourcePostgres(Optional.of(url), Optional.empty(), 5432, Optional.empty(),
                services.user(), Optional.empty(), "lockstep_" + PIPELINE, "lockstep_" + PIPELINE);
        try (PostgresSourceCatalog catalog = PostgresSourceCatalog.connect(source)) {
            tables = catalog.describe(List.of(TableId.parse("public.kinds"), TableId.parse("public.logs")));
        }
        services.database("dw");
        // The warehouse is built by the real migrations: control schema, then the generated raw layer.
        WarehouseMigrations.Result migrated = WarehouseMigrations.builder().dataSource(dataSource("dw"))
                .pipeline(PIPELINE).warehouseSchema("dw").deployment(1, "pipeline: " + PIPELINE, "0".repeat(64))
                .build().apply(List.of(RawLayerDdl.create("dw", tables.values(), 1)));
        assertThat(migrated.applied()).containsExactly(1);
        String port = url.substring(url.lastIndexOf(':') + 1, url.lastIndexOf('/'));
        extract = new PostgresCdcSource(ExtractSettings.of(PIPELINE, "localhost", Integer.parseInt(port),
                services.database("src"), services.user(), services.password(), List.copyOf(tables.keySet()),
                services.bootstrapServers())).start();
        store = KafkaSchemaStore.open(services.bootstrapServers());
        // From here on, every commit is streamed (the snapshot reads as of the slot's creation).
        await().atMost(Duration.ofMinutes(1)).until(() -> services.query("src", "SELECT active FROM pg_replication_slots "
                + "WHERE slot_name = 'lockstep_" + PIPELINE + "'").equals(List.of("t")));
    }

    @AfterAll
    static void stopExtract() {
        extract.stop();
        store.close();
    }

    /** A row of every type from an integer expression. */
    static String row(String n) {
        return n + ", (" + n + " % 30000)::smallint, (" + n + " * 1.001)::numeric(12,3), " + n + "::numeric / 7, ("
                + n + " / 3.0)::real, " + n + " / 7.0, 'tab\tnew\nline\\back ' || " + n + ", " + n + " % 2 = 0, "
                + "date '2020-01-01' + (" + n + " % 3000)::int, time '00:00:00' + " + n + " * interval '0.000123 s', "
                + "timestamp '2020-01-01' + " + n + " * interval '1.234567 s', "
                + "timestamptz '2020-01-01 00:00:00+00' + " + n + " * interval '2.345678 s', md5(" + n
                + "::text)::uuid, json_build_object('n', " + n + "), jsonb_build_object('k', 'v\"q'), decode(md5(" + n
                + "::text), 'hex'), ARRAY[" + n + ", NULL], ARRAY['a,b', NULL, 'q\"x', '{brace}'], "
                + "(ARRAY['sad','ok','happy'])[1 + " + n + " % 3]::mood, (SELECT string_agg(md5((" + n
                + " * 1000 + g)::text), '') FROM generate_series(1, 100) g)";
    }

    @Test
    @Order(1)
    void shouldMirrorSourceInRawLayer() throws Exception {
        services.execute("src", "BEGIN", "UPDATE kinds SET body = 'new body 1' || (SELECT string_agg(md5(g::text), '') "
                + "FROM generate_series(1, 100) g) WHERE id = 1", "UPDATE kinds SET t = 'renamed' WHERE id = 1",
                "COMMIT");
        services.execute("src", "BEGIN", "UPDATE kinds SET t = 'last words' WHERE id = 30", "DELETE FROM kinds WHERE id = 30",
                "COMMIT");
        services.execute("src", "UPDATE kinds SET t = 'body untouched' WHERE id = 2",
                "DELETE FROM kinds WHERE id BETWEEN 10 AND 20",
                "INSERT INTO kinds SELECT " + row("g") + " FROM generate_series(5001, 5100) g",
                "UPDATE kinds SET num = num + 1, tags = tags || 'more'::text WHERE id % 7 = 0",
                "TRUNCATE logs", "INSERT INTO logs VALUES (1000, 'after truncate')");

        try {
            applyUntil(() -> mirrorDifferences().isEmpty()
                    && services.query("dw", "SELECT id FROM dw_raw.logs WHERE NOT _deleted").equals(List.of("1000")));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            assertThat(mirrorDifferences()).as("raw layer vs source").isEmpty();
            assertThat(services.query("dw", "SELECT id FROM dw_raw.logs WHERE NOT _deleted")).containsExactly("1000");
            throw e;
        }

        assertThat(services.query("dw", "SELECT count(*) FROM dw_raw.kinds WHERE _deleted")).containsExactly("12");
        assertThat(services.query("dw", "SELECT t FROM dw_raw.kinds WHERE id = 30 AND _deleted"))
                .as("a delete keeps the last image, also one from earlier in the same batch")
                .containsExactly("last words");
        assertThat(services.query("dw", "SELECT t || ': ' || left(body, 10) FROM dw_raw.kinds WHERE id IN (1, 2) ORDER BY id"))
                .containsExactly("renamed: new body 1", "body untouched: " + services.query("src",
                        "SELECT left(body, 10) FROM kinds WHERE id = 2").get(0));
    }

    @Test
    @Order(2)
    void shouldNotChangeWarehouseWhenOffsetIsRewound() throws Exception {
        List<String> before = services.query("dw", "SELECT ROW(r.*)::text FROM dw_raw.kinds r ORDER BY id");
        services.execute("dw", "UPDATE lockstep.offsets SET next_offset = 0, commit_lsn = 0, sequence = 0 WHERE pipeline = '"
                + PIPELINE + "'");

        applyUntil(() -> offsetCaughtUp(), 300); // small batches: the reader stops and seeks at each full one

        assertThat(services.query("dw", "SELECT ROW(r.*)::text FROM dw_raw.kinds r ORDER BY id")).isEqualTo(before);
    }

    @Test
    @Order(3)
    void shouldQuarantineUndecodableRecordAndGoOn() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                "bootstrap.servers", services.bootstrapServers(),
                "key.serializer", ByteArraySerializer.class, "value.serializer", ByteArraySerializer.class))) {
            producer.send(new ProducerRecord<>(TopicNames.changes(PIPELINE), 0, null, "garbage".getBytes())).get();
        }
        services.execute("src", "INSERT INTO logs VALUES (2000, 'after the poison record')");

        applyUntil(() -> services.query("dw", "SELECT line FROM dw_raw.logs WHERE id = 2000")
                .equals(List.of("after the poison record")));

        assertThat(services.query("dw", "SELECT cause || ': ' || reason || ' @' || kafka_offset FROM lockstep.quarantine"))
                .singleElement().asString().startsWith("undecodable: not an Avro single-object encoded record");
    }

    private static List<String> mirrorDifferences() throws SQLException {
        List<String> source = services.query("src", "SELECT ROW(" + COLUMNS + ")::text FROM kinds ORDER BY id");
        List<String> raw = services.query("dw", "SELECT ROW(" + COLUMNS + ")::text FROM dw_raw.kinds WHERE NOT _deleted "
                + "ORDER BY id");
        List<String> differences = new ArrayList<>();
        if (source.size() != raw.size()) {
            differences.add("source has " + source.size() + " rows, raw layer " + raw.size());
        }
        for (int i = 0; i < Math.min(source.size(), raw.size()) && differences.size() < 3; i++) {
            if (!source.get(i).equals(raw.get(i))) {
                differences.add("source " + source.get(i).substring(0, Math.min(400, source.get(i).length()))
                        + "\n   raw " + raw.get(i).substring(0, Math.min(400, raw.get(i).length())));
            }
        }
        return differences;
    }

    interface Condition {
        boolean met() throws Exception;
    }

    private static void applyUntil(Condition condition) throws Exception {
        applyUntil(condition, 5000);
    }

    private static void applyUntil(Condition condition, int batchSize) throws Exception {
        try (Connection c = connect("dw")) {
            WarehouseApplier applier = WarehouseApplier.open(c, PIPELINE, "dw", tables, 1, batchSize);
            try (ChangeStreamReader reader = ChangeStreamReader.open(services.bootstrapServers(), PIPELINE,
                    applier.nextOffset(), applier.applied(), store)) {
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(10))
                        .failFast("the extract stopped", () -> extract.completion().isDone())
                        .until(() -> {
                            applier.applyOnce(reader, Duration.ofMillis(100));
                            return condition.met();
                        });
            }
        }
    }

    private static boolean offsetCaughtUp() throws SQLException {
        long end;
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(Map.of(
                "bootstrap.servers", services.bootstrapServers(), "isolation.level", "read_committed",
                "key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class,
                "value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class))) {
            var partition = new org.apache.kafka.common.TopicPartition(TopicNames.changes(PIPELINE), 0);
            end = consumer.endOffsets(List.of(partition)).get(partition);
        }
        return Long.parseLong(services.query("dw", "SELECT next_offset FROM lockstep.offsets").get(0)) >= end;
    }

    private static Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(services.jdbcUrl(database), services.user(), services.password());
    }

    private static PGSimpleDataSource dataSource(String database) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(services.jdbcUrl(database));
        ds.setUser(services.user());
        ds.setPassword(services.password());
        return ds;
    }
}
