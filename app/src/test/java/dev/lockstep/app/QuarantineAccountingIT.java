package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.runtime.Alerting;
import dev.lockstep.runtime.WarehouseDeployment;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import dev.lockstep.warehouse.raw.RawLayerDdl;
import dev.lockstep.warehouse.star.Reconciliation;
import dev.lockstep.warehouse.testing.TestStar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every source row ends somewhere, from the real extract: with rules diverting inserts, an update of a key already
 * loaded, and a poison row whose transform fails at run time (division by zero), each target's source keys are
 * exactly its current warehouse keys plus its open quarantine keys, counted once each. The poison row, fixed in the
 * source, loads through the stream and its ledger row is superseded, so {@code quarantine replay} cannot load it a
 * second time; a duplicate whose value was released by a delete is loaded by {@code quarantine replay} — served by
 * the running apply — exactly once. A poison record on the changes topic is kept with its bytes and the stream goes
 * on; replay leaves it open while it still cannot be decoded. The ledger is relayed to {@code lockstep.<pipeline>.quarantine} with stable ids.
 */
class QuarantineAccountingIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "acctit";
    static final Map<String, String> SOURCE_TABLES = Map.of("customer", "customers", "product", "products",
            "order_line", "order_items", "order", "orders");

    @Test
    void shouldAccountForEverySourceRowAndReplayExactlyOnce(@TempDir Path dir) throws Exception {
        TestStar.createSourceTables(services, "asrc");
        services.database("adw");
        Path file = TestStar.definition(dir, services, PIPELINE, "asrc", "adw", "star_dw");
        Files.writeString(file, Files.readString(file) + """
                quality:
                  - { rule: not_null, target: customer, columns: [email], on_fail: quarantine }
                  - { rule: unique, target: customer, columns: [email], on_fail: deduplicate }
                  - { rule: expression, name: amount_not_negative, target: order_line, check: amount >= 0,
                      on_fail: quarantine }
                """);
        WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
        String url = services.jdbcUrl("asrc");
        PostgresCdcSource extract = new PostgresCdcSource(ExtractSettings.of(PIPELINE, "localhost",
                Integer.parseInt(url.substring(url.lastIndexOf(':') + 1, url.lastIndexOf('/'))),
                services.database("asrc"), services.user(), services.password(),
                List.copyOf(deployment.tables().keySet()), services.bootstrapServers())).start();
        ExecutorService thread = Executors.newSingleThreadExecutor();
        AtomicBoolean applying = new AtomicBoolean(true);
        try (KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            Future<?> apply = thread.submit(() -> apply(deployment, store, applying));
            source("INSERT INTO categories VALUES (1, 'Pens')");
            awaitApplied(apply); // the (empty) snapshot is behind us: what follows streams in commit order
            source("INSERT INTO customers VALUES (1, 'Ada', 'a@x.org', 'Paris'), (2, 'Bob', NULL, 'Paris'), "
                + "(3, 'Cy', 'c@x.org', 'Nice'), (4, 'Dee', 'd@x.org', 'Oslo'), (5, 'Eve', 'A@x.org', 'Rome'), "
                + "(6, 'Fay', 'f@x.org', 'Riga')",
                "INSERT INTO products VALUES (10, 'Pen', 1, 2.00), (11, 'Ink', 1, 3.00)",
                "INSERT INTO orders VALUES (100, 1, '2026-06-01 10:00+00', 17.00), (101, 3, '2026-06-02 10:00+00', 27.00)",
                "INSERT INTO order_items VALUES (1000, 100, 10, 2, 10.00, 1), (1001, 100, 11, 1, -3.00, 1), "
                        + "(1002, 101, 10, 4, 5.00, 0), (1003, 101, 11, 1, 7.00, 1)");
            source("UPDATE customers SET city = 'Lyon' WHERE id = 1");
            source("UPDATE customers SET email = NULL WHERE id = 3"); // diverted; the loaded version stays
            source("DELETE FROM order_items WHERE id = 1003", "DELETE FROM customers WHERE id = 6");
            awaitApplied(apply);

            assertThat(dw("SELECT rule || ' ' || (natural_key ->> 'id') || ' ' || status FROM lockstep.quarantine "
                    + "WHERE target = 'customer' ORDER BY quarantine_id")).containsExactlyInAnyOrder(
                    "not_null_customer_email 2 open", "unique_customer_email 5 open", "not_null_customer_email 3 open");
            assertThat(dw("SELECT cause || ' ' || (natural_key ->> 'id') || ' ' || coalesce(sql_state, '-') FROM "
                    + "lockstep.quarantine WHERE target = 'order_line'")).containsExactlyInAnyOrder(
                    "rule 1001 -", "runtime_error 1002 22012");
            assertAccounted(deployment);

            // A poison record on the changes topic: kept with its bytes, and the stream goes on.
            byte[] poison = {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 42};
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                    services.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(TopicNames.changes(PIPELINE), 0, null, poison)).get();
            }
            source("INSERT INTO customers VALUES (7, 'Gil', 'g@x.org', 'Bonn')");
            awaitApplied(apply);
            assertThat(dw("SELECT count(*) FROM star_dw.dim_customer WHERE id = 7")).containsExactly("1");
            assertThat(dw("SELECT encode(raw_record, 'hex') || ' ' || reason FROM lockstep.quarantine WHERE cause = "
                    + "'undecodable'")).singleElement().asString().startsWith("c3010102030405060708" + "2a ")
                    .contains("unknown schema fingerprint");

            // The poison row, fixed in the source, loads through the stream; its ledger row no longer stands.
            source("UPDATE order_items SET pack_size = 2 WHERE id = 1002");
            awaitApplied(apply);
            assertThat(dw("SELECT per_pack::text FROM star_dw.fact_order_line WHERE id = 1002")).containsExactly("2");
            assertThat(dw("SELECT status FROM lockstep.quarantine WHERE cause = 'runtime_error'"))
                    .containsExactly("superseded");
            assertThat(InProcessCli.succeed("quarantine", "replay", file.toString(), "--all", "--kafka",
                    services.bootstrapServers())).contains("0 row(s) loaded").contains("1 still undecodable");
            assertThat(dw("SELECT count(*) FROM star_dw.fact_order_line WHERE id = 1002")).containsExactly("1");
            assertAccounted(deployment);

            // Ada leaves: her email is free, and Eve's quarantined row can now be replayed.
            source("DELETE FROM customers WHERE id = 1");
            awaitApplied(apply);
            assertThat(dw("SELECT count(*) FROM star_dw.dim_customer WHERE id = 5")).containsExactly("0");
            assertThat(InProcessCli.succeed("quarantine", "replay", file.toString(), "--rule",
                    "unique_customer_email", "--kafka", services.bootstrapServers()))
                    .contains("1 row(s) loaded, 0 diverted again");
            assertThat(dw("SELECT email || ' ' || is_current FROM star_dw.dim_customer WHERE id = 5"))
                    .containsExactly("a@x.org true");
            assertThat(InProcessCli.succeed("quarantine", "replay", file.toString(), "--rule",
                    "unique_customer_email", "--kafka", services.bootstrapServers()))
                    .as("nothing left to replay").contains("0 row(s) loaded");
            assertThat(dw("SELECT count(*) FROM star_dw.dim_customer WHERE id = 5")).containsExactly("1");
            assertAccounted(deployment);
        } finally {
            applying.set(false);
            thread.shutdown();
            thread.awaitTermination(1, TimeUnit.MINUTES);
            extract.stop();
        }

        try (Alerting alerting = Alerting.open(deployment.definition(), deployment.star(),
                services.bootstrapServers())) {
            alerting.tick();
        }
        Map<String, JsonNode> relayed = relayedQuarantine();
        assertThat(relayed.values().stream().map(r -> r.path("quarantine_id").asText() + " " + r.path("status").asText())
                .toList()).as("every ledger row relayed, in its state at relay time, under a stable id")
                .containsAll(dw("SELECT quarantine_id || ' ' || status FROM lockstep.quarantine"));
        assertThat(relayed.keySet()).allMatch(id -> id.matches("[0-9a-f-]{36}(/(replayed|discarded|superseded))?"));
        assertThat(relayed.values()).filteredOn(r -> r.path("key").path("id").asInt() == 5)
                .extracting(r -> r.path("status").asText()).contains("replayed");
        assertThat(relayed.values()).extracting(r -> r.path("row").path("email").asText())
                .as("PII masked in the relayed rows").doesNotContain("A@x.org", "a@x.org", "c@x.org");
        assertThat(dw("SELECT count(*) FROM lockstep.quarantine WHERE relayed_at IS NULL")).containsExactly("0");
    }

    /** Per target: source keys = current warehouse keys ∪ open quarantine keys, and the counts add up. */
    private static void assertAccounted(WarehouseDeployment deployment) throws Exception {
        Reconciliation reconciliation = new Reconciliation(deployment.star(), PIPELINE);
        for (String target : reconciliation.targets()) {
            if (target.equals("date")) {
                continue;
            }
            Set<String> source = new TreeSet<>(services.query("asrc", "SELECT id::text FROM "
                    + SOURCE_TABLES.get(target)));
            Set<String> warehouse = new TreeSet<>(dw(target.equals("customer") || target.equals("product")
                    ? "SELECT id::text FROM star_dw.dim_" + target + " WHERE " + target + "_key <> -1 AND NOT "
                    + "is_inferred AND NOT is_deleted" + (target.equals("customer") ? " AND is_current" : "")
                    : "SELECT id::text FROM star_dw.fact_" + target + " WHERE NOT is_deleted"));
            Set<String> quarantined = new TreeSet<>(dw("SELECT DISTINCT natural_key ->> 'id' FROM lockstep.quarantine "
                    + "WHERE pipeline = '" + PIPELINE + "' AND target = '" + target + "' AND status = 'open'"));
            Set<String> union = new TreeSet<>(warehouse);
            union.addAll(quarantined);
            assertThat(union).as(target + ": every source row is in the warehouse or in quarantine, nothing else")
                    .isEqualTo(source);
            Set<String> onlyQuarantined = new HashSet<>(quarantined);
            onlyQuarantined.removeAll(warehouse);
            assertThat(warehouse.size() + onlyQuarantined.size()).isEqualTo(source.size());
            assertThat(dw(reconciliation.warehouseQuery(target, List.of())))
                    .as(target + ": the reconciliation count").containsExactly(String.valueOf(source.size()));
        }
    }

    private static Void apply(WarehouseDeployment deployment, KafkaSchemaStore store, AtomicBoolean applying)
            throws Exception {
        try (Connection c = DriverManager.getConnection(services.jdbcUrl("adw"), services.user(), services.password())) {
            WarehouseApplier applier = WarehouseApplier.open(c, PIPELINE, "star_dw", deployment.tables(),
                    WarehouseDeployment.VERSION, 5_000, Optional.of(deployment.star()));
            EnvelopeCodec codec = new EnvelopeCodec(store);
            try (ChangeStreamReader reader = ChangeStreamReader.open(services.bootstrapServers(), PIPELINE,
                    applier.nextOffset(), applier.applied(), store)) {
                while (applying.get()) {
                    applier.applyOnce(reader, Duration.ofMillis(50));
                    applier.serveReplays(codec);
                }
            }
        }
        return null;
    }

    /**
     * Commits a marker change in the source and waits until the warehouse shows it: the stream is applied in commit
     * order, whole transactions at a time, so everything committed before it is applied too.
     */
    private static void awaitApplied(Future<?> apply) throws Exception {
        String marker = "Pens " + MARKERS.incrementAndGet();
        source("UPDATE categories SET name = '" + marker + "' WHERE id = 1");
        await().atMost(Duration.ofMinutes(1)).failFast("the apply stopped", apply::isDone).until(() ->
                dw("SELECT name FROM " + RawLayerDdl.qualified("star_dw", TableId.parse("public.categories")))
                        .equals(List.of(marker)));
    }

    private static final AtomicInteger MARKERS = new AtomicInteger();

    private static Map<String, JsonNode> relayedQuarantine() throws Exception {
        Map<String, JsonNode> records = new HashMap<>();
        ObjectMapper json = new ObjectMapper();
        TopicPartition partition = new TopicPartition(TopicNames.quarantine(PIPELINE), 0);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                services.bootstrapServers()), new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    JsonNode node = json.readTree(r.value());
                    records.put(node.path("id").asText(), node);
                }
            }
        }
        return records;
    }


    private static void source(String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection(services.jdbcUrl("asrc"), services.user(), services.password());
                Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (String sql : statements) {
                s.execute(sql);
            }
            c.commit();
        }
    }

    private static List<String> dw(String sql) throws Exception {
        return services.query("adw", sql);
    }
}
