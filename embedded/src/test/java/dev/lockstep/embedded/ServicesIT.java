package dev.lockstep.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.embedded.testing.ServicesExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared test services are real: logical decoding on PostgreSQL, transactions on Kafka. */
class ServicesIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    @Test
    void shouldSeeInsertThroughLogicalReplicationSlot() throws SQLException {
        try (Connection c = services.connect("shop"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)");
            s.execute("SELECT pg_create_logical_replication_slot('services_it', 'test_decoding')");
            try {
                s.execute("INSERT INTO items VALUES (1, 'widget')");

                List<String> changes = new ArrayList<>();
                try (ResultSet rs = s.executeQuery(
                        "SELECT data FROM pg_logical_slot_get_changes('services_it', NULL, NULL)")) {
                    while (rs.next()) {
                        changes.add(rs.getString(1));
                    }
                }

                assertThat(changes).hasSize(3);
                assertThat(changes.get(0)).startsWith("BEGIN");
                assertThat(changes.get(1))
                        .isEqualTo("table public.items: INSERT: id[integer]:1 name[text]:'widget'");
                assertThat(changes.get(2)).startsWith("COMMIT");
            } finally {
                s.execute("SELECT pg_drop_replication_slot('services_it')");
            }
        }
    }

    @Test
    void shouldHideAbortedTransactionFromReadCommittedConsumer() {
        String topic = services.topic("changes");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, services.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + ".tx",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            producer.initTransactions();
            sendInTransaction(producer, topic, "committed-1", true);
            sendInTransaction(producer, topic, "aborted", false);
            sendInTransaction(producer, topic, "committed-2", true);
        }

        assertThat(readAll(topic, "read_committed", 2)).containsExactly("committed-1", "committed-2");
        assertThat(readAll(topic, "read_uncommitted", 3))
                .as("the aborted record really reached the log")
                .containsExactly("committed-1", "aborted", "committed-2");
    }

    private static void sendInTransaction(KafkaProducer<String, String> producer, String topic, String value,
            boolean commit) {
        producer.beginTransaction();
        producer.send(new ProducerRecord<>(topic, "key", value));
        producer.flush();
        if (commit) {
            producer.commitTransaction();
        } else {
            producer.abortTransaction();
        }
    }

    private static List<String> readAll(String topic, String isolation, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, services.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, topic + "." + isolation,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            // Poll past the expected count once more, so that a record that should be invisible gets its chance.
            boolean extraPollDone = false;
            while (System.nanoTime() < deadline && !extraPollDone) {
                boolean enough = values.size() >= expected;
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(enough ? 500 : 200))) {
                    values.add(r.value());
                }
                extraPollDone = enough;
            }
        }
        return values;
    }
}
