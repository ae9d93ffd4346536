package dev.lockstep.warehouse.apply;

import static dev.lockstep.warehouse.testing.TestStar.customer;
import static dev.lockstep.warehouse.testing.TestStar.item;
import static dev.lockstep.warehouse.testing.TestStar.order;
import static dev.lockstep.warehouse.testing.TestStar.product;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.warehouse.testing.TestStar;
import dev.lockstep.warehouse.testing.TestWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code references}: a member completed within the grace raises nothing; one still inferred after it takes the
 * rule's action — {@code unknown_member} re-points its facts to -1, {@code quarantine} moves them to the ledger —
 * also while no new changes arrive (the alerting timer runs the check).
 */
class ReferencesRuleApplyIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "refsit";

    @Test
    void shouldActOnMembersStillInferredAfterGraceOnly(@TempDir Path dir) throws Exception {
        services.database("fdw");
        Path file = TestStar.definition(dir, services, PIPELINE, "fsrc", "fdw", "star_dw");
        Files.writeString(file, Files.readString(file) + """
                quality:
                  - { rule: references, target: order_line, dimension: product, grace: 1s }
                  - { rule: references, name: known_customer, target: order, dimension: customer, grace: 1s,
                      on_fail: quarantine }
                """);
        TestWarehouse deployment = TestWarehouse.deploy(file);
        Instant t = Instant.parse("2026-07-01T10:00:00Z");
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), PIPELINE,
                deployment.tables()); KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            envelopes.snapshot(Map.of("public.customers", List.of(customer(1, "A", "a@x.org", "Oslo"))));
            envelopes.begin(t).insert("public.orders", order(100, 9, "2026-07-01T09:00:00Z", "2"))
                    .insert("public.orders", order(101, 1, "2026-07-01T09:00:00Z", "2"))
                    .insert("public.order_items", item(1000, 101, 77, 1, "1.00", 1))
                    .insert("public.order_items", item(1001, 101, 78, 1, "1.00", 1)).commit();
            envelopes.begin(t.plusSeconds(1)).insert("public.products",
                    product(78, "Arrived", 1, "1.00")).commit();
            TestWarehouse.applyAll(services, "fdw", PIPELINE, deployment.star(), store);
        }
        assertThat(dw("SELECT count(*) FROM star_dw.dim_product WHERE is_inferred")).containsExactly("1");

        TestWarehouse.checkReferencesUntil(services, "fdw", PIPELINE, deployment.star(), () -> dw("SELECT product_key::text FROM "
                + "star_dw.fact_order_line WHERE id = 1000").equals(List.of("-1"))
                && dw("SELECT count(*) FROM star_dw.fact_order WHERE id = 100").equals(List.of("0")));

        assertThat(dw("SELECT p.name FROM star_dw.fact_order_line f JOIN star_dw.dim_product p USING (product_key) "
                + "WHERE f.id = 1001")).as("completed within the grace: kept").containsExactly("Arrived");
        assertThat(dw("SELECT rule || ' ' || target || ' ' || natural_key::text FROM lockstep.quarantine"))
                .containsExactly("known_customer order {\"id\": 100}");
        assertThat(dw("SELECT id::text FROM star_dw.fact_order ORDER BY id")).containsExactly("101");
        assertThat(dw("SELECT rule || ' ' || violations FROM lockstep.open_alerts ORDER BY rule"))
                .containsExactly("known_customer 1", "references_order_line_product 1");
    }

    private static List<String> dw(String sql) throws Exception {
        return services.query("fdw", sql);
    }
}
