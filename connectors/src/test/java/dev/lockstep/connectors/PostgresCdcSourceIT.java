package dev.lockstep.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.embedded.testing.ServicesExtension;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extract on a real PostgreSQL and Kafka: snapshot, streaming, boundaries, TOAST, messages. */
class PostgresCdcSourceIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final ExtractFixtures fixtures = new ExtractFixtures(services);

    @Test
    void shouldSnapshotThenStreamTransactionsWithBoundaries() throws Exception {
        fixtures.sql("basic", "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2))",
                "INSERT INTO items VALUES (1, 'one', 1.50), (2, 'two', 2.25)");
        ExtractSettings settings = fixtures.settings("basic", "basic", List.of(TableId.parse("public.items")));
        try (PostgresCdcSource extract = new PostgresCdcSource(settings).start();
                ChangeTopicReader reader = new ChangeTopicReader(services.bootstrapServers(), "basic")) {
            await().atMost(Duration.ofSeconds(60)).until(() -> reader.changes().size() >= 2);
            fixtures.sql("basic", "BEGIN", "INSERT INTO items VALUES (3, 'three', 3.00)",
                    "UPDATE items SET price = 9.99 WHERE id = 1", "DELETE FROM items WHERE id = 2", "COMMIT");
            await().atMost(Duration.ofSeconds(60)).until(() -> reader.changes().size() >= 5);

            List<GenericRecord> all = reader.poll();
            List<GenericRecord> changes = reader.changes();
            assertThat(changes.subList(0, 2)).allSatisfy(r -> assertThat(r.get("op").toString()).isEqualTo("READ"));
            assertThat(changes.get(1).get("snapshot").toString()).isEqualTo("SNAPSHOT_LAST");
            assertThat(changes.subList(2, 5)).extracting(r -> r.get("op").toString())
                    .containsExactly("CREATE", "UPDATE", "DELETE");
            GenericRecord boundaryBegin = all.get(all.indexOf(changes.get(2)) - 1);
            assertThat(ChangeSchemas.kindOf(boundaryBegin.getSchema())).isEqualTo(ChangeSchemas.Kind.TRANSACTION);
            assertThat(boundaryBegin.get("status").toString()).isEqualTo("BEGIN");
            assertThat(boundaryBegin.get("event_count")).isEqualTo(3L);
            GenericRecord end = all.get(all.indexOf(changes.get(4)) + 1);
            assertThat(end.get("status").toString()).isEqualTo("END");
            StreamPosition previous = StreamPosition.ZERO;
            for (GenericRecord r : all) {
                StreamPosition p = ChangeTopicReader.position(r);
                assertThat(p).isGreaterThanOrEqualTo(previous);
                previous = p;
            }
            GenericRecord update = changes.get(3);
            assertThat(((GenericRecord) update.get("key")).get("id")).isEqualTo(1);
            ByteBuffer price = (ByteBuffer) ((GenericRecord) update.get("after")).get("price");
            assertThat(new java.math.BigDecimal(new java.math.BigInteger(bytes(price)), 2))
                    .isEqualByComparingTo("9.99");
            assertThat(extract.metrics().totalEvents()).isEqualTo(5);
        }
    }

    @Test
    void shouldMarkTheSnapshotsLastRowWhenTheHelperTablesHaveRows() throws Exception {
        fixtures.sql("helpers", "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)",
                "INSERT INTO items VALUES (1, 'one'), (2, 'two')");
        ExtractSettings settings = fixtures.settings("helpers", "helpers", List.of(TableId.parse("public.items")));
        // A heartbeat written before the snapshot (by `reconcile` waiting on the run, by an earlier run, or by another
        // pipeline on this source) and a pending signal: the helper tables are captured, so Debezium would snapshot
        // them after the pipeline's tables, and their rows — which never reach the topic — would end the snapshot.
        PostgresCdcSource.beat(settings);
        fixtures.sql("helpers", "INSERT INTO " + PostgresCdcSource.HELPER_SCHEMA + ".heartbeat VALUES ('another', now())",
                "INSERT INTO " + PostgresCdcSource.HELPER_SCHEMA + ".signal VALUES ('x', 'log', '{\"message\": \"hi\"}')");
        try (PostgresCdcSource extract = new PostgresCdcSource(settings).start();
                ChangeTopicReader reader = new ChangeTopicReader(services.bootstrapServers(), "helpers")) {
            await().atMost(Duration.ofSeconds(60)).until(() -> reader.changes().size() >= 2);
            List<GenericRecord> changes = reader.changes();
            assertThat(changes).extracting(r -> r.get("table").toString()).containsOnly("public.items");
            assertThat(changes).extracting(r -> r.get("snapshot").toString())
                    .containsExactly("SNAPSHOT", "SNAPSHOT_LAST");
        }
    }

    @Test
    void shouldMarkUnchangedToastedColumnInsteadOfPlaceholder() throws Exception {
        fixtures.sql("toast", "CREATE TABLE docs (id int PRIMARY KEY, title text, body text)",
                "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL");
        ExtractSettings settings = fixtures.settings("toast", "toast", List.of(TableId.parse("public.docs")));
        try (PostgresCdcSource ignored = new PostgresCdcSource(settings).start();
                ChangeTopicReader reader = new ChangeTopicReader(services.bootstrapServers(), "toast")) {
            fixtures.awaitStreaming("toast", settings);
            fixtures.sql("toast", "INSERT INTO docs SELECT 1, 'first', string_agg(md5(i::text), '') "
                    + "FROM generate_series(1, 400) i");
            fixtures.sql("toast", "UPDATE docs SET title = 'renamed' WHERE id = 1");
            await().atMost(Duration.ofSeconds(60)).until(() -> reader.changes().size() >= 2);

            GenericRecord update = reader.changes().get(1);
            GenericRecord after = (GenericRecord) update.get("after");
            assertThat(after.get("title").toString()).isEqualTo("renamed");
            assertThat(after.get("body")).isNull();
            assertThat((List<?>) update.get("unchanged")).extracting(Object::toString).containsExactly("body");
            assertThat(((GenericRecord) reader.changes().get(0).get("after")).get("body").toString()).hasSize(12800);
        }
    }

    @Test
    void shouldCarryLogicalDecodingMessageAtItsPosition() throws Exception {
        fixtures.sql("msg", "CREATE TABLE events (id int PRIMARY KEY, v text)");
        ExtractSettings settings = fixtures.settings("msg", "msg", List.of(TableId.parse("public.events")));
        try (PostgresCdcSource ignored = new PostgresCdcSource(settings).start();
                ChangeTopicReader reader = new ChangeTopicReader(services.bootstrapServers(), "msg")) {
            fixtures.awaitStreaming("msg", settings);
            fixtures.sql("msg", "BEGIN", "INSERT INTO events VALUES (1, 'a')",
                    "SELECT pg_logical_emit_message(true, 'lockstep', 'barrier-1')",
                    "INSERT INTO events VALUES (2, 'b')", "COMMIT");
            await().atMost(Duration.ofSeconds(60)).until(() -> reader.changes().size() >= 2);

            List<GenericRecord> all = reader.poll();
            List<String> kinds = all.stream().map(r -> ChangeSchemas.kindOf(r.getSchema()).name()).toList();
            assertThat(kinds).containsExactly("TRANSACTION", "CHANGE", "CONTROL", "CHANGE", "TRANSACTION");
            GenericRecord control = all.get(2);
            assertThat(control.get("prefix").toString()).isEqualTo("lockstep");
            assertThat(StandardCharsets.UTF_8.decode((ByteBuffer) control.get("content")).toString())
                    .isEqualTo("barrier-1");
            assertThat(ChangeTopicReader.position(control).sequence()).isEqualTo(2);
            assertThat(ChangeTopicReader.position(control).commitLsn())
                    .isEqualTo(ChangeTopicReader.position(all.get(1)).commitLsn());

            fixtures.sql("msg", "SELECT pg_logical_emit_message(false, 'lockstep', 'outside')");
            await().atMost(Duration.ofSeconds(60)).until(() -> reader.poll().size() >= 6);
            GenericRecord outside = reader.poll().get(5);
            assertThat(outside.get("transactional")).isEqualTo(false);
            assertThat(ChangeTopicReader.position(outside)).isGreaterThan(ChangeTopicReader.position(all.get(4)));
        }
    }

    @Test
    void shouldCarryTruncateAsControlRecord() throws Exception {
        fixtures.sql("trunc", "CREATE TABLE logs (id int PRIMARY KEY)", "INSERT INTO logs VALUES (1), (2)");
        ExtractSettings settings = fixtures.settings("trunc", "trunc", List.of(TableId.parse("public.logs")));
        try (PostgresCdcSource ignored = new PostgresCdcSource(settings).start();
                ChangeTopicReader reader = new ChangeTopicReader(services.bootstrapServers(), "trunc")) {
            fixtures.awaitStreaming("trunc", settings);
            fixtures.sql("trunc", "TRUNCATE logs");
            await().atMost(Duration.ofSeconds(60)).until(() -> reader.poll().stream()
                    .anyMatch(r -> ChangeSchemas.kindOf(r.getSchema()) == ChangeSchemas.Kind.CONTROL));

            GenericRecord control = reader.poll().stream()
                    .filter(r -> ChangeSchemas.kindOf(r.getSchema()) == ChangeSchemas.Kind.CONTROL).findFirst()
                    .orElseThrow();
            assertThat(control.get("prefix").toString()).isEqualTo("lockstep.truncate");
            assertThat(StandardCharsets.UTF_8.decode((ByteBuffer) control.get("content")).toString())
                    .isEqualTo("public.logs");
        }
    }

    @Test
    void shouldStopNamingTheTableWhenAChangeIsTooLargeForTheTopic() throws Exception {
        fixtures.sql("wide", "CREATE TABLE wide (id int PRIMARY KEY, body text)");
        ExtractSettings settings = fixtures.settings("wide", "wide", List.of(TableId.parse("public.wide")))
                .withMaxMessageBytes(4096);
        try (PostgresCdcSource extract = new PostgresCdcSource(settings).start()) {
            fixtures.awaitStreaming("wide", settings);
            fixtures.sql("wide", "INSERT INTO wide SELECT 1, string_agg(md5(g::text), '') FROM generate_series(1, 300) g");

            await().atMost(Duration.ofSeconds(60)).until(() -> extract.completion().isDone());
            assertThat(extract.completion()).isCompletedExceptionally();
            assertThatThrownBy(() -> extract.completion().join()).hasMessageContaining("change of public.wide")
                    .hasMessageContaining("more than the changes topic takes");
        }
    }

    @Test
    void shouldAdvanceSlotOnQuietSourceThroughHeartbeats() throws Exception {
        fixtures.sql("quiet", "CREATE TABLE watched (id int PRIMARY KEY)", "CREATE TABLE unwatched (id int, v text)");
        ExtractSettings settings = fixtures.settings("quiet", "quiet", List.of(TableId.parse("public.watched")))
                .withHeartbeatInterval(Duration.ofMillis(500));
        try (PostgresCdcSource extract = new PostgresCdcSource(settings).start()) {
            fixtures.awaitStreaming("quiet", settings);
            fixtures.sql("quiet", "INSERT INTO unwatched SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g");
            String walAfterWrites = fixtures.scalar("quiet", "SELECT pg_current_wal_lsn()::text");

            await().atMost(Duration.ofSeconds(60)).until(() -> Boolean.parseBoolean(fixtures.scalar("quiet",
                    "SELECT (confirmed_flush_lsn >= '" + walAfterWrites + "'::pg_lsn)::text FROM pg_replication_slots "
                            + "WHERE slot_name = '" + settings.slotName() + "'")));
            await().atMost(Duration.ofSeconds(30)).until(() -> extract.metrics().walRetainedBytes() >= 0);
            assertThat(extract.metrics().totalEvents()).as("heartbeats are not changes").isZero();
        }
    }

    @Test
    void shouldFanOutChangesKeyedByPrimaryKey() throws Exception {
        fixtures.sql("fan", "CREATE TABLE items (id int PRIMARY KEY, name text)");
        ExtractSettings settings = fixtures.settings("fan", "fan", List.of(TableId.parse("public.items")))
                .withFanout(true);
        try (PostgresCdcSource extract = new PostgresCdcSource(settings).start()) {
            fixtures.awaitStreaming("fan", settings);
            fixtures.sql("fan", "INSERT INTO items VALUES (1, 'one'), (2, 'two')");
            String topic = dev.lockstep.core.stream.TopicNames.raw("fan", TableId.parse("public.items"));
            try (dev.lockstep.core.envelope.KafkaSchemaStore store =
                            dev.lockstep.core.envelope.KafkaSchemaStore.open(services.bootstrapServers());
                    var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(java.util.Map.of(
                            "bootstrap.servers", services.bootstrapServers(), "isolation.level", "read_committed",
                            "group.id", "fanout-it", "auto.offset.reset", "earliest",
                            "key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class,
                            "value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class))) {
                consumer.subscribe(List.of(topic));
                dev.lockstep.core.envelope.EnvelopeCodec codec = new dev.lockstep.core.envelope.EnvelopeCodec(store);
                java.util.List<String> seen = new java.util.ArrayList<>();
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    consumer.poll(Duration.ofMillis(200)).forEach(r -> seen.add(
                            codec.decode(r.key()).get("id") + "=" + ((GenericRecord) codec.decode(r.value())
                                    .get("after")).get("name")));
                    return seen.size() >= 2;
                });
                assertThat(seen).containsExactly("1=one", "2=two");
            }
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}
