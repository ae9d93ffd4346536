package dev.lockstep.quality.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.Severity;
import dev.lockstep.embedded.testing.ServicesExtension;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class KafkaAlertSinkIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final Instant T0 = Instant.parse("2026-11-21T16:00:00Z");

    private static Alert alert(AlertType type, String rule, int minute) {
        AlertData data = new AlertData(minute, 100, "customer", "not_null", "email is null",
                List.of(Map.of("id", minute)));
        return new Alert(UUID.randomUUID(), type, "shop", rule,
                type == AlertType.PIPELINE_FAILED ? Severity.CRITICAL : Severity.WARNING,
                T0.plusSeconds(60L * minute), data);
    }

    @Test
    void shouldPublishCloudEventsThatARealConsumerReadsBackInRuleOrder() {
        String topic = services.topic("alerts", 3, Map.of());
        List<Alert> alerts = List.of(
                alert(AlertType.RULE_BREACHED, "email_not_null", 1),
                alert(AlertType.QUALITY_VIOLATION, "email_not_null", 2),
                alert(AlertType.RULE_BREACHED, "amount_range", 3),
                alert(AlertType.QUALITY_VIOLATION, "email_not_null", 4),
                alert(AlertType.RULE_RESOLVED, "email_not_null", 5),
                alert(AlertType.RULE_RESOLVED, "amount_range", 6),
                alert(AlertType.PIPELINE_FAILED, null, 7));

        try (KafkaAlertSink sink = KafkaAlertSink.builder().withBootstrapServers(services.bootstrapServers())
                .withTopic(topic).build()) {
            sink.publish(alerts.subList(0, 3));
            sink.publish(alerts.subList(3, alerts.size()));
        }

        List<ConsumerRecord<String, byte[]>> records = consume(topic, alerts.size());
        EventFormat format = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
        List<Alert> read = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            assertThat(new String(record.headers().lastHeader("content-type").value(), StandardCharsets.UTF_8))
                    .isEqualTo("application/cloudevents+json");
            CloudEvent event = format.deserialize(record.value());
            assertThat(event.getSource().toString()).isEqualTo("urn:lockstep:pipeline:shop");
            assertThat(event.getExtension("pipeline")).isEqualTo("shop");
            assertThat(record.key()).isEqualTo(event.getExtension("rule") == null ? "shop"
                    : "shop/" + event.getExtension("rule"));
            read.add(AlertEvents.fromCloudEvent(event));
        }

        assertThat(read).containsExactlyInAnyOrderElementsOf(alerts);
        Map<String, List<Alert>> byKey = read.stream()
                .collect(Collectors.groupingBy(KafkaAlertSink::key, Collectors.toList()));
        Map<String, List<Alert>> expected = alerts.stream()
                .collect(Collectors.groupingBy(KafkaAlertSink::key, Collectors.toList()));
        assertThat(byKey).isEqualTo(expected);
    }

    @Test
    void shouldThrowUnavailableWhenKafkaDoesNotAcknowledge() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }

        try (KafkaAlertSink sink = KafkaAlertSink.builder().withBootstrapServers("127.0.0.1:" + closedPort)
                .withTimeout(Duration.ofSeconds(2)).build()) {
            assertThatThrownBy(() -> sink.publish(List.of(alert(AlertType.RULE_BREACHED, "r", 1))))
                    .isInstanceOf(LockstepException.class)
                    .hasMessageContaining("lockstep.alerts")
                    .satisfies(e -> assertThat(((LockstepException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
        }
    }

    private static List<ConsumerRecord<String, byte[]>> consume(String topic, int count) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, services.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "alerts-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer =
                new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= count;
            });
        }
        records.sort((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition())
                : Long.compare(a.offset(), b.offset()));
        return records;
    }
}
