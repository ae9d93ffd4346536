package dev.lockstep.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.LockstepException;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.embedded.testing.ServicesExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The applier's view of the stream: whole transactions in order, re-sent ones skipped, poison records reported. */
class ChangeStreamReaderIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();
    static final ExtractFixtures fixtures = new ExtractFixtures(services);
    static KafkaSchemaStore store;

    /** Collects what the reader hands over, as lines. */
    static final class Collect implements ChangeStreamReader.Handler {
        final List<String> events = new ArrayList<>();
        final List<StreamPosition> ends = new ArrayList<>();

        @Override
        public void begin(GenericRecord boundary, long offset) {
            events.add("BEGIN " + boundary.get("event_count"));
        }

        @Override
        public void record(GenericRecord record, long offset) {
            events.add(record.get("op") + " " + ((GenericRecord) record.get("key")).get("id"));
        }

        @Override
        public void end(GenericRecord boundary, long offset) {
            events.add("END");
            ends.add(ChangeStreamReader.positionOf(boundary));
        }

        @Override
        public void undecodable(long offset, byte[] value, String reason) {
            events.add("UNDECODABLE " + reason);
        }
    }

    @BeforeAll
    static void streamSomeTransactions() throws Exception {
        fixtures.sql("src", "CREATE TABLE t (id int PRIMARY KEY, v text)");
        ExtractSettings settings = fixtures.settings("reader", "src", List.of(TableId.parse("public.t")));
        try (PostgresCdcSource extract = new PostgresCdcSource(settings).start()) {
            fixtures.awaitStreaming("src", settings);
            fixtures.sql("src", "BEGIN", "INSERT INTO t VALUES (1, 'a'), (2, 'b')", "COMMIT");
            fixtures.sql("src", "BEGIN", "UPDATE t SET v = 'c' WHERE id = 1", "DELETE FROM t WHERE id = 2", "COMMIT");
            await().atMost(Duration.ofSeconds(60)).until(() -> extract.metrics().totalEvents() >= 4);
        }
        store = KafkaSchemaStore.open(services.bootstrapServers());
    }

    @Test
    void shouldHandOverWholeTransactionsInOrder() {
        Collect collect = readAll(0, StreamPosition.ZERO);

        assertThat(collect.events).containsExactly("BEGIN 2", "CREATE 1", "CREATE 2", "END",
                "BEGIN 2", "UPDATE 1", "DELETE 2", "END");
    }

    @Test
    void shouldSkipTransactionsAtOrBelowAppliedPosition() {
        StreamPosition firstEnd = readAll(0, StreamPosition.ZERO).ends.get(0);

        Collect replay = readAll(0, firstEnd);

        assertThat(replay.events).containsExactly("BEGIN 2", "UPDATE 1", "DELETE 2", "END");
    }

    @Test
    void shouldReportPoisonRecordAndGoOn() throws Exception {
        String topic = TopicNames.changes("reader-poison");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", services.bootstrapServers()))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1))).all().get();
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                "bootstrap.servers", services.bootstrapServers(),
                "key.serializer", ByteArraySerializer.class, "value.serializer", ByteArraySerializer.class))) {
            producer.send(new ProducerRecord<>(topic, 0, null, "not avro".getBytes())).get();
            producer.send(new ProducerRecord<>(topic, 0, null, new byte[] {(byte) 0xC3, 1, 9, 9, 9, 9, 9, 9, 9, 9, 0}))
                    .get();
        }

        Collect collect = new Collect();
        try (ChangeStreamReader reader = ChangeStreamReader.open(services.bootstrapServers(), "reader-poison", 0,
                StreamPosition.ZERO, store)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                reader.poll(Duration.ofMillis(100), collect);
                return reader.nextOffset() >= 2;
            });
        }

        assertThat(collect.events).containsExactly(
                "UNDECODABLE not an Avro single-object encoded record (8 bytes)",
                "UNDECODABLE unknown schema fingerprint 909090909090909: not in the schema store");
    }

    @Test
    void shouldRefuseOffsetDeletedByRetention() throws Exception {
        String topic = TopicNames.changes("reader-retention");
        services.topic("unused");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", services.bootstrapServers()))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1))).all().get();
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                    "bootstrap.servers", services.bootstrapServers(),
                    "key.serializer", ByteArraySerializer.class, "value.serializer", ByteArraySerializer.class))) {
                for (int i = 0; i < 3; i++) {
                    producer.send(new ProducerRecord<>(topic, 0, null, new byte[] {1})).get();
                }
            }
            admin.deleteRecords(Map.of(new TopicPartition(topic, 0), RecordsToDelete.beforeOffset(2))).all().get();
        }

        assertThatThrownBy(() -> ChangeStreamReader.open(services.bootstrapServers(), "reader-retention", 1,
                StreamPosition.ZERO, store))
                .isInstanceOf(LockstepException.class)
                .hasMessageContaining("from offset 1")
                .hasMessageContaining("deleted by the topic's retention (it now starts at 2)");
    }

    private static Collect readAll(long offset, StreamPosition applied) {
        Collect collect = new Collect();
        try (ChangeStreamReader reader = ChangeStreamReader.open(services.bootstrapServers(), "reader", offset,
                applied, store)) {
            long end = endOffset();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                reader.poll(Duration.ofMillis(100), collect);
                return reader.nextOffset() >= end;
            });
        }
        return collect;
    }

    private static long endOffset() {
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(Map.of(
                "bootstrap.servers", services.bootstrapServers(), "isolation.level", "read_committed",
                "key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class,
                "value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class))) {
            TopicPartition p = new TopicPartition(TopicNames.changes("reader"), 0);
            return consumer.endOffsets(List.of(p)).get(p);
        }
    }
}
