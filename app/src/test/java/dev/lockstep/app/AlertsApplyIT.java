package dev.lockstep.app;

import static dev.lockstep.warehouse.testing.TestStar.customer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ChildJvm;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.quality.alert.Alert;
import dev.lockstep.quality.alert.AlertEvents;
import dev.lockstep.quality.alert.AlertType;
import dev.lockstep.runtime.WarehouseDeployment;
import dev.lockstep.warehouse.testing.TestStar;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alerts of a running {@code lockstep apply}: 10,000 violations of one rule open one alert (one breached event),
 * which resolves with one resolved event once the rule has been quiet for its {@code resolve_after}; a real Kafka
 * consumer reads both CloudEvents from {@code lockstep.alerts}, and a local HTTP server receives the same from the
 * webhook sink.
 */
class AlertsApplyIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "alertit";

    @Test
    void shouldOpenOneAlertForManyViolationsAndResolveItWhenQuiet(@TempDir Path dir) throws Exception {
        List<Alert> delivered = new CopyOnWriteArrayList<>();
        HttpServer webhook = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        webhook.createContext("/hook", exchange -> {
            delivered.add(AlertEvents.parse(exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        webhook.start();
        try {
            TestStar.createSourceTables(services, "asrc");
            services.database("adw");
            Path file = TestStar.definition(dir, services, PIPELINE, "asrc", "adw", "star_dw");
            Files.writeString(file, Files.readString(file) + """
                    quality:
                      - { rule: accepted_values, name: known_city, target: customer, columns: [city], values: [Paris],
                          on_fail: warn, resolve_after: 3s }
                    alerts:
                      webhooks: ["http://localhost:%d/hook"]
                      min_severity: info
                    """.formatted(webhook.getAddress().getPort()));
            WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
            try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), PIPELINE,
                    deployment.tables())) {
                envelopes.snapshot(Map.of("public.customers", IntStream.rangeClosed(1, 10_000)
                        .mapToObj(i -> customer(i, "C" + i, "c" + i + "@x.org", "Lyon")).toList()));
                envelopes.begin(Instant.parse("2026-05-01T10:00:00Z"))
                        .update("public.customers", customer(1, "C1", "c1@x.org", "Paris")).commit();
            }

            try (ChildJvm apply = ChildJvm.of(Lockstep.class).args("apply", file.toString(), "--kafka",
                    services.bootstrapServers()).heap("384m").start()) {
                apply.awaitLine(l -> l.startsWith("Applying pipeline " + PIPELINE), Duration.ofMinutes(2));
                await().atMost(Duration.ofMinutes(1)).until(() -> delivered.stream()
                        .anyMatch(a -> a.type() == AlertType.RULE_RESOLVED));
                apply.stop(Duration.ofMinutes(1));
            }
        } finally {
            webhook.stop(0);
        }

        List<Alert> fromKafka = readAlerts();
        assertThat(fromKafka).extracting(Alert::type).containsExactly(AlertType.RULE_BREACHED, AlertType.RULE_RESOLVED);
        assertThat(delivered).extracting(Alert::id).containsExactlyElementsOf(fromKafka.stream().map(Alert::id).toList());
        Alert breached = fromKafka.get(0);
        assertThat(breached.rule()).isEqualTo("known_city");
        assertThat(breached.data().target()).isEqualTo("customer");
        assertThat(breached.data().sampleKeys()).isNotEmpty();
        assertThat(fromKafka.get(1).data().violations()).as("every violation counted on the one open alert")
                .isEqualTo(10_000);
        assertThat(services.query("adw", "SELECT count(*) FROM lockstep.open_alerts")).containsExactly("0");
        assertThat(services.query("adw", "SELECT count(*) FROM star_dw.dim_customer WHERE customer_key <> -1 AND is_current"))
                .as("warn loads the rows").containsExactly("10000");
    }

    private static List<Alert> readAlerts() {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                "bootstrap.servers", services.bootstrapServers(), "isolation.level", "read_committed",
                "key.deserializer", ByteArrayDeserializer.class, "value.deserializer", ByteArrayDeserializer.class))) {
            List<TopicPartition> partitions = consumer.partitionsFor(TopicNames.ALERTS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<Alert> alerts = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    Alert alert = AlertEvents.parse(record.value());
                    if (alert.pipeline().equals(PIPELINE)) {
                        alerts.add(alert);
                    }
                }
                return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
            });
            return alerts;
        }
    }
}
