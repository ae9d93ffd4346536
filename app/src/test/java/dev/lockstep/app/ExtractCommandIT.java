package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.embedded.testing.ChildJvm;
import dev.lockstep.embedded.testing.ServicesExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code lockstep extract FILE} streams a definition's source tables; {@code lockstep undeploy} drops its slot. */
class ExtractCommandIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    @Test
    void shouldStreamChangesUntilStoppedThenUndeploy(@TempDir Path dir) throws Exception {
        services.execute("inventory", "CREATE TABLE stock (sku text PRIMARY KEY, quantity int NOT NULL)",
                "INSERT INTO stock VALUES ('a', 1)");
        Path definition = TestDefinitions.write(dir, services, "inventory", "inventory", "stock", "inventory",
                "inventory_dw", "");

        try (ChildJvm cli = ChildJvm.of(Lockstep.class)
                .args("extract", definition.toString(), "--kafka", services.bootstrapServers()).heap("384m").start()) {
            cli.awaitLine(l -> l.startsWith("Extracting pipeline inventory into lockstep.inventory.changes"),
                    Duration.ofMinutes(2));
            await().atMost(Duration.ofMinutes(1)).until(() -> slotActive());
            services.execute("inventory", "INSERT INTO stock VALUES ('b', 2)",
                    "UPDATE stock SET quantity = 5 WHERE sku = 'a'");
            await().atMost(Duration.ofMinutes(1)).until(() -> changesOnTopic() >= 3);

            cli.stop(Duration.ofMinutes(1));
            assertThat(cli.output()).anyMatch(l -> l.contains("Stopped pipeline inventory's extract"));
        }

        assertThat(Lockstep.execute("undeploy", definition.toString(), "--kafka", services.bootstrapServers()))
                .isZero();
        assertThat(slotExists()).isFalse();
    }

    private static int changesOnTopic() {
        TopicPartition partition = new TopicPartition(TopicNames.changes("inventory"), 0);
        AtomicInteger changes = new AtomicInteger();
        try (KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers());
                KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, services.bootstrapServers(),
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            EnvelopeCodec codec = new EnvelopeCodec(store);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (ChangeSchemas.kindOf(codec.decode(r.value()).getSchema()) == ChangeSchemas.Kind.CHANGE) {
                        changes.incrementAndGet();
                    }
                }
            }
        }
        return changes.get();
    }

    private static boolean slotActive() throws Exception {
        return services.query("inventory", "SELECT active FROM pg_replication_slots "
                + "WHERE slot_name = 'lockstep_inventory'").equals(List.of("t"));
    }

    private static boolean slotExists() throws Exception {
        return !services.query("inventory", "SELECT slot_name FROM pg_replication_slots "
                + "WHERE slot_name = 'lockstep_inventory'").isEmpty();
    }
}
