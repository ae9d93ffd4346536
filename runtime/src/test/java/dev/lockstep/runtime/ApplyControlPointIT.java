package dev.lockstep.runtime;

import static dev.lockstep.warehouse.testing.TestStar.customer;
import static dev.lockstep.warehouse.testing.TestStar.item;
import static dev.lockstep.warehouse.testing.TestStar.order;
import static dev.lockstep.warehouse.testing.TestStar.product;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import dev.lockstep.warehouse.testing.TestStar;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Control work (quarantine replays) runs only at the apply loop's control point, never while a batch is open.
 *
 * <p>Found by the crash investigation of issue #14: the replay check ran once a second between two polls, also
 * when the first poll had ended inside a source transaction; it cleared the open batch's gathered rows, and the
 * batch then committed its offset past them. After every restart with a backlog (the first step always checked),
 * about one poll's worth of changes was lost.
 */
class ApplyControlPointIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    /** Nine changes (an order and eight items) per source transaction: eleven records with BEGIN and END. */
    private static final int ITEMS_PER_ORDER = 8;
    private static final int ORDERS = 900;

    @Test
    void shouldApplyEveryChangeOfABacklogWhoseBatchesSpanPolls(@TempDir Path dir) throws Exception {
        WarehouseDeployment deployment = deploy(dir, "cp");
        Instant t0 = Instant.parse("2026-03-01T10:00:00Z");
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), "cpit",
                deployment.tables())) {
            Map<String, List<Map<String, Object>>> snapshot = new LinkedHashMap<>();
            snapshot.put("public.customers", List.of(customer(1, "Ada", "a@x.org", "Paris")));
            snapshot.put("public.categories", List.of(Map.of("id", 1, "name", "Books")));
            snapshot.put("public.products", List.of(product(10, "Dune", 1, "9.90")));
            envelopes.snapshot(snapshot);
            // A backlog of ~10k records: the apply stage's polls (at most 5,000 records) end inside transactions.
            for (int order = 1; order <= ORDERS; order++) {
                ChangeEnvelopes.Tx tx = envelopes.begin(t0.plusSeconds(order)).insert("public.orders",
                        order(order, 1, "2026-03-01T09:00:00Z", "9.90"));
                for (int line = 1; line <= ITEMS_PER_ORDER; line++) {
                    tx.insert("public.order_items", item((long) order * 100 + line, order, 10, 1,
                            "9.90", 1));
                }
                tx.commit();
            }
        }
        long end = ChangeEnvelopes.endOffset(services.bootstrapServers(), "cpit");

        try (ApplyStage stage = ApplyStage.open(deployment, services.bootstrapServers())) {
            // Each batch grows over several polls (at most 5,000 records each), so a poll ends inside a
            // transaction; control work between the steps must not cost a change.
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(1)).until(() -> {
                stage.step(Duration.ofMillis(200), replay -> { });
                return stage.nextOffset() >= end;
            });
            // The applier's connection says what it is, for whoever reads pg_stat_activity.
            assertThat(services.query("cpdw", "SELECT application_name FROM pg_stat_activity WHERE datname = "
                    + "current_database() AND pid <> pg_backend_pid()")).contains("lockstep apply cpit");
        }
        assertThat(services.query("cpdw", "SELECT count(*) FROM star_dw_raw.orders")).containsExactly(
                String.valueOf(ORDERS));
        assertThat(services.query("cpdw", "SELECT count(*) FROM star_dw_raw.order_items")).containsExactly(
                String.valueOf(ORDERS * ITEMS_PER_ORDER));
        assertThat(services.query("cpdw", "SELECT count(*) FROM star_dw.fact_order_line")).containsExactly(
                String.valueOf(ORDERS * ITEMS_PER_ORDER));
    }

    @Test
    void shouldRefuseToServeReplaysWhileABatchIsOpen(@TempDir Path dir) throws Exception {
        WarehouseDeployment deployment = deploy(dir, "cpr");
        try (Connection c = DriverManager.getConnection(services.jdbcUrl("cprdw"), services.user(),
                services.password()); KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers());
                ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), "cprit",
                        deployment.tables())) {
            WarehouseApplier applier = WarehouseApplier.open(c, "cprit", deployment.star().schema(), deployment.tables(),
                    WarehouseDeployment.VERSION, 5_000, Optional.of(deployment.star()));
            assertThat(applier.atControlPoint()).isTrue();
            assertThat(applier.serveReplays(new EnvelopeCodec(store))).isEmpty();

            // A source transaction has started and its end is not on the topic yet: the batch holding it is open.
            envelopes.begin(Instant.now()).insert("public.customers", customer(1, "Ada", "a@x.org",
                    "Paris")).writeUnfinished();
            try (ChangeStreamReader reader = ChangeStreamReader.open(services.bootstrapServers(), "cprit",
                    applier.nextOffset(), applier.applied(), store)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    applier.applyOnce(reader, Duration.ofMillis(200));
                    return !applier.atControlPoint();
                });
            }
            assertThatThrownBy(() -> applier.serveReplays(new EnvelopeCodec(store)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("pipeline cprit: cannot serve quarantine replays while a batch is open");
        }
    }

    @Test
    void shouldCommitNothingOfABatchWhenAFailOutcomeArrivesBeforeItsCommit(@TempDir Path dir) throws Exception {
        WarehouseDeployment deployment = deploy(dir, "cpf");
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), "cpfit",
                deployment.tables())) {
            envelopes.snapshot(Map.of("public.customers", List.of(customer(1, "Ada", "a@x.org",
                    "Paris"))));
        }
        LockstepException stopped = new LockstepException(ErrorCode.PIPELINE_STOPPED, "quality rule complete "
                + "(on_fail: fail) failed");
        try (Connection c = DriverManager.getConnection(services.jdbcUrl("cpfdw"), services.user(),
                services.password()); KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            WarehouseApplier applier = WarehouseApplier.open(c, "cpfit", deployment.star().schema(), deployment.tables(),
                    WarehouseDeployment.VERSION, 5_000, Optional.of(deployment.star()))
                    .beforeCommit(() -> {
                        throw stopped; // as the alerting worker's fail outcome does through ApplyStage
                    });
            try (ChangeStreamReader reader = ChangeStreamReader.open(services.bootstrapServers(), "cpfit",
                    applier.nextOffset(), applier.applied(), store)) {
                assertThatThrownBy(() -> {
                    for (int poll = 0; poll < 150; poll++) { // at most 30 s for the snapshot's records to arrive
                        applier.applyOnce(reader, Duration.ofMillis(200));
                    }
                }).isSameAs(stopped);
                assertThatThrownBy(() -> applier.applyOnce(reader, Duration.ofMillis(10)))
                        .as("a rolled-back applier refuses further batches").isInstanceOf(IllegalStateException.class);
            }
        }
        assertThat(services.query("cpfdw", "SELECT count(*) FROM star_dw_raw.customers")).containsExactly("0");
        assertThat(services.query("cpfdw", "SELECT count(*) FROM lockstep.offsets WHERE pipeline = 'cpfit'"))
                .containsExactly("0");
    }

    /** Deploys the star shop as pipeline {@code <prefix>it}, from source {@code <prefix>src} to {@code <prefix>dw}. */
    private static WarehouseDeployment deploy(Path dir, String prefix) throws Exception {
        TestStar.createSourceTables(services, prefix + "src");
        services.database(prefix + "dw");
        return WarehouseDeployment.deploy(TestStar.definition(dir, services, prefix + "it", prefix + "src",
                prefix + "dw", "star_dw"));
    }
}
