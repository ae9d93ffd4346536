package dev.lockstep.core.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.live.ReplicaIdentity;
import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import java.time.Duration;
import java.time.Instant;
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

/**
 * The applier's view of the stream: whole transactions in order, re-sent ones skipped, poison records reported. The
 * stream is written by {@link ChangeEnvelopes}, which writes what the extract writes (connectors'
 * {@code ChangeEnvelopesMatchExtractIT} holds it to that).
 */
class ChangeStreamReaderIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();
    /** {@code public.t (id integer PRIMARY KEY, v text)}, as the source's catalog describes it. */
    static final SourceTable T = new SourceTable(TableId.parse("public.t"), true, "table", List.of(
            new SourceColumn("id", "integer", SourceColumn.Kind.BASE, "integer", true),
            new SourceColumn("v", "text", SourceColumn.Kind.BASE, "text", false)),
            List.of("id"), new ReplicaIdentity(ReplicaIdentity.Mode.DEFAULT, List.of("id")));
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
    static void streamSomeTransactions() {
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), "reader",
                Map.of(T.id(), T))) {
            Instant t0 = Instant.parse("2026-01-01T10:00:00Z");
            envelopes.begin(t0).insert("public.t", Map.of("id", 1, "v", "a"))
                    .insert("public.t", Map.of("id", 2, "v", "b")).commit();
            envelopes.begin(t0.plusSeconds(1)).update("public.t", Map.of("id", 1, "v", "c"))
                    .delete("public.t", Map.of("id", 2)).commit();
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
            long end = ChangeEnvelopes.endOffset(services.bootstrapServers(), "reader");
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                reader.poll(Duration.ofMillis(100), collect);
                return reader.nextOffset() >= end;
            });
        }
        return collect;
    }
}
