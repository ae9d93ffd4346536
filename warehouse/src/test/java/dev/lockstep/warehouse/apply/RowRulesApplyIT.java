package dev.lockstep.warehouse.apply;

import static dev.lockstep.warehouse.testing.TestStar.customer;
import static dev.lockstep.warehouse.testing.TestStar.item;
import static dev.lockstep.warehouse.testing.TestStar.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.core.LockstepException;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.warehouse.testing.TestStar;
import dev.lockstep.warehouse.testing.TestWarehouse;
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
 * Step 4 of the apply transaction, per-row rules: {@code quarantine} diverts failing rows to the ledger in the same
 * transaction as the rest of their source transaction (PII masked), {@code warn} loads them, {@code fail} rolls
 * the batch back and stops the pipeline, naming the rule and the row.
 */
class RowRulesApplyIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "rulesit";

    @Test
    void shouldDivertWarnAndFailRowsAsTheirRulesSay(@TempDir Path dir) throws Exception {
        services.database("rdw");
        Path file = TestStar.definition(dir, services, PIPELINE, "rsrc", "rdw", "star_dw");
        Files.writeString(file, Files.readString(file) + """
                quality:
                  - { rule: not_null, target: customer, columns: [email] }
                  - { rule: regex, name: capitalised, target: customer, columns: [name], pattern: '^[A-Z]' }
                  - { rule: accepted_values, target: customer, columns: [city], values: [Paris, Unknown], on_fail: warn }
                  - { rule: range, name: sane_quantity, target: order_line, columns: [quantity], min: 1, max: 100 }
                  - { rule: expression, name: amount_not_negative, target: order_line, check: amount >= 0, on_fail: fail }
                """);
        TestWarehouse deployment = TestWarehouse.deploy(file);
        Instant t0 = Instant.parse("2026-04-01T10:00:00Z");
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), PIPELINE,
                deployment.tables()); KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            Map<String, List<Map<String, Object>>> snapshot = new LinkedHashMap<>();
            snapshot.put("public.customers", List.of(customer(1, "Ada", "ada@x.org", "Paris"),
                    customer(2, "Bob", null, "Paris"),
                    customer(3, "cy", "cy@x.org", "Paris"),
                    customer(4, "Dee", "dee@x.org", "Berlin")));
            envelopes.snapshot(snapshot);
            envelopes.begin(t0).insert("public.orders", order(100, 1, "2026-04-01T09:00:00Z", "30"))
                    .insert("public.order_items", item(1000, 100, 10, 3, "10.00", 1))
                    .insert("public.order_items", item(1001, 100, 10, 0, "10.00", 1)).commit();
            apply(deployment, store);

            assertThat(dw("SELECT id::text FROM star_dw.dim_customer WHERE customer_key <> -1 ORDER BY id"))
                    .as("warn loads the row (Berlin), quarantine diverts it").containsExactly("1", "4");
            assertThat(dw("SELECT rule || ' ' || target || ' ' || natural_key::text || ' ' || reason || ' ' "
                    + "|| conformed_row::text FROM lockstep.quarantine WHERE target = 'customer' ORDER BY natural_key::text"))
                    .containsExactly(
                            "not_null_customer_email customer {\"id\": 2} email is null "
                                    + "{\"id\": 2, \"city\": \"Paris\", \"name\": \"Bob\", \"email\": null}",
                            "capitalised customer {\"id\": 3} name does not match ^[A-Z] "
                                    + "{\"id\": 3, \"city\": \"Paris\", \"name\": \"cy\", \"email\": \"***\"}");
            assertThat(dw("SELECT id::text FROM star_dw.fact_order_line")).containsExactly("1000");
            assertThat(dw("SELECT rule || ' ' || natural_key::text || ' ' || commit_lsn::text FROM lockstep.quarantine "
                    + "WHERE target = 'order_line'")).containsExactly("sane_quantity {\"id\": 1001} "
                    + envelopes.lastPosition().commitLsn());

            List<String> before = dw("SELECT next_offset::text FROM lockstep.offsets");
            envelopes.begin(t0.plusSeconds(60)).insert("public.orders", order(101, 1,
                    "2026-04-01T09:30:00Z", "-5")).insert("public.order_items",
                    item(1002, 101, 10, 1, "-5.00", 1)).commit();
            assertThatThrownBy(() -> apply(deployment, store)).isInstanceOf(LockstepException.class)
                    .hasMessageContaining("quality rule amount_not_negative (on_fail: fail) failed on 1 row(s) of "
                            + "order_line, the first {\"id\": 1002}");
            assertThat(dw("SELECT next_offset::text FROM lockstep.offsets")).as("the batch was rolled back")
                    .isEqualTo(before);
            assertThat(dw("SELECT count(*) FROM star_dw.fact_order WHERE id = 101")).containsExactly("0");
        }
    }

    private static List<String> dw(String sql) throws Exception {
        return services.query("rdw", sql);
    }

    private static void apply(TestWarehouse deployment, KafkaSchemaStore store) throws Exception {
        TestWarehouse.applyAll(services, "rdw", PIPELINE, deployment.star(), store);
    }
}
