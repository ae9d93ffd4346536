package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.embedded.testing.ServicesExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code on_delete: hard}: a deleted source row removes its dimension member (every SCD 2 version of it) and its
 * fact row; facts that pointed at a removed member point at the unknown member {@code -1}.
 */
class HardDeleteApplyIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "hardit";

    @Test
    void shouldRemoveDeletedMembersAndFactsAndRepointFactsToUnknownMember(@TempDir Path dir) throws Exception {
        StarShop.createSourceTables(services, "hsrc");
        services.database("hdw");
        Path file = StarShop.definition(dir, services, PIPELINE, "hsrc", "hdw", "shop_dw");
        Files.writeString(file, Files.readString(file).replace("    scd: 2\n", "    scd: 2\n    on_delete: hard\n")
                .replace("    scd: 1\n", "    scd: 1\n    on_delete: hard\n")
                .replace("    partition_by: date\n", "    partition_by: date\n    on_delete: hard\n"));
        WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
        Instant t0 = Instant.parse("2026-03-01T10:00:00Z");
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), PIPELINE,
                deployment.tables()); KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            Map<String, List<Map<String, Object>>> snapshot = new LinkedHashMap<>();
            snapshot.put("public.customers", List.of(StarSchemaApplyIT.customer(1, "Ada", "a@x.org", "Paris"),
                    StarSchemaApplyIT.customer(2, "Bob", "b@x.org", "Rome")));
            snapshot.put("public.categories", List.of(Map.of("id", 1, "name", "Books")));
            snapshot.put("public.products", List.of(StarSchemaApplyIT.product(10, "Dune", 1, "9.90"),
                    StarSchemaApplyIT.product(11, "Emma", 1, "5.00")));
            snapshot.put("public.orders", List.of(StarSchemaApplyIT.order(100, 1, "2026-03-01T09:00:00Z", "19.80"),
                    StarSchemaApplyIT.order(101, 2, "2026-03-01T09:30:00Z", "5.00")));
            snapshot.put("public.order_items", List.of(StarSchemaApplyIT.item(1000, 100, 10, 2, "9.90", 1),
                    StarSchemaApplyIT.item(1001, 101, 11, 1, "5.00", 1)));
            envelopes.snapshot(snapshot);
            envelopes.begin(t0).update("public.customers", StarSchemaApplyIT.customer(1, "Ada", "a@x.org", "Oslo"))
                    .commit();
            apply(deployment, store);
            assertThat(dw("SELECT count(*) FROM shop_dw.dim_customer WHERE id = 1")).containsExactly("2");

            envelopes.begin(t0.plusSeconds(60)).delete("public.customers", Map.of("id", 1L))
                    .delete("public.products", Map.of("id", 11L))
                    .delete("public.order_items", Map.of("id", 1000L)).commit();
            apply(deployment, store);
            // A later change of a fact of the removed member does not bring it back as an inferred member.
            envelopes.begin(t0.plusSeconds(120)).update("public.orders", StarSchemaApplyIT.order(100, 1,
                    "2026-03-01T09:00:00Z", "0.00")).commit();
            apply(deployment, store);
        }

        assertThat(dw("SELECT count(*) FROM shop_dw.dim_customer WHERE id = 1"))
                .as("every version of the deleted member is removed").containsExactly("0");
        assertThat(dw("SELECT id::text FROM shop_dw.dim_product WHERE product_key <> -1")).containsExactly("10");
        assertThat(dw("SELECT id::text FROM shop_dw.fact_order_line")).containsExactly("1001");
        assertThat(dw("SELECT product_key::text FROM shop_dw.fact_order_line WHERE id = 1001"))
                .as("a fact whose member was removed points at the unknown member").containsExactly("-1");
        assertThat(dw("SELECT customer_key::text FROM shop_dw.fact_order WHERE id = 100")).containsExactly("-1");
        assertThat(dw("SELECT c.name FROM shop_dw.fact_order o JOIN shop_dw.dim_customer c USING (customer_key) "
                + "WHERE o.id = 101")).containsExactly("Bob");
    }

    private static List<String> dw(String sql) throws Exception {
        return services.query("hdw", sql);
    }

    private static void apply(WarehouseDeployment deployment, KafkaSchemaStore store) throws Exception {
        StarShop.applyAll(services, "hdw", PIPELINE, deployment, store);
    }
}
