package dev.lockstep.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.embedded.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded Kafka broker itself: lifecycle, topics, cleanup after a crash. */
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
