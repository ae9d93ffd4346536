package dev.lockstep.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.embedded.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded Kafka broker itself: lifecycle, restart in place, topics, cleanup after a crash. */
class EmbeddedKafkaIT {

    @Test
    void shouldStartStopIdempotentlyAndRemoveItsLogDirectory(@TempDir Path base) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.builder().baseDirectory(base).build();
        kafka.stop();
        kafka.start();
        kafka.start();
        Path dir = kafka.directory();
        kafka.createTopic("lockstep.test.changes", 1, Map.of("max.message.bytes", "8388608"));
        kafka.createTopic("lockstep.test.changes", 1, Map.of());

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            assertThat(topics).contains("lockstep.test.changes");
        }

        kafka.stop();
        kafka.stop();
        assertThat(kafka.isRunning()).isFalse();
        assertThat(dir).doesNotExist();
    }

    @Test
    void shouldKeepCommittedRecordsAndAddressWhenRestartedInPlace(@TempDir Path base) {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().baseDirectory(base).build().start()) {
            String address = kafka.bootstrapServers();
            Path dir = kafka.directory();
            kafka.createTopic("restart.changes", 1, Map.of());
            try (KafkaProducer<String, String> producer = transactionalProducer(address)) {
                producer.initTransactions();
                commit(producer, "before");

                kafka.stopKeepingData();
                kafka.stopKeepingData();
                assertThat(kafka.isRunning()).isFalse();
                assertThat(dir).isDirectory();
                assertThat(kafka.bootstrapServers()).as("the address while stopped").isEqualTo(address);

                kafka.start();
                assertThat(kafka.bootstrapServers()).isEqualTo(address);
                assertThat(kafka.directory()).isEqualTo(dir);
                commit(producer, "after"); // the same client, reconnected by itself
            }
            assertThat(readCommitted(address, "restart.changes", 2)).containsExactly("before", "after");

            kafka.stop();
            assertThat(dir).doesNotExist();
        }
    }

    private static KafkaProducer<String, String> transactionalProducer(String address) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, address,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "restart.tx",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }

    private static void commit(KafkaProducer<String, String> producer, String value) {
        producer.beginTransaction();
        producer.send(new ProducerRecord<>("restart.changes", "key", value));
        producer.commitTransaction();
    }

    private static List<String> readCommitted(String address, String topic, int expected) {
        TopicPartition partition = new TopicPartition(topic, 0);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, address,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
        }
        return values;
    }

    @Test
    void shouldRemoveLogDirectoryLeftBehindByKilledJvm(@TempDir Path base) throws Exception {
        String leftoverRun;
        try (ChildJvm child = ChildJvm.of(EmbeddedServiceMain.class)
                .args("kafka", base.toString()).heap("384m").start()) {
            leftoverRun = child.awaitLine(l -> l.startsWith("READY "), Duration.ofMinutes(2)).split(" ")[2];
            child.kill();
        }
        assertThat(Path.of(leftoverRun)).as("kill -9 leaves the log directory behind").isDirectory();

        try (EmbeddedKafka next = EmbeddedKafka.builder().baseDirectory(base).build().start()) {
            assertThat(Path.of(leftoverRun)).doesNotExist();
            assertThat(next.directory()).isDirectory();
        }
        try (var left = Files.list(base)) {
            assertThat(left.filter(p -> p.getFileName().toString().startsWith("kafka-"))).isEmpty();
        }
    }
}
