package dev.lockstep.warehouse.apply;

import static dev.lockstep.warehouse.testing.TestStar.customer;
import static dev.lockstep.warehouse.testing.TestStar.item;
import static dev.lockstep.warehouse.testing.TestStar.order;
import static dev.lockstep.warehouse.testing.TestStar.product;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.warehouse.star.Reconciliation;
import dev.lockstep.warehouse.testing.TestStar;
import dev.lockstep.warehouse.testing.TestWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code on_delete: hard}: a deleted source row removes its dimension member (every SCD 2 version of it) and its
 * fact row; facts that pointed at a removed member point at the unknown member {@code -1}.
 */
class HardDeleteApplyIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "hardit";

    /** A warehouse role that owns its database but may not set {@code session_replication_role}. */
    static final String PLAIN_ROLE = "lockstep_hardit_plain";

    /**
     * As a superuser, the applier's session skips the facts' foreign-key triggers and re-points facts itself; as a
     * role that may not, the triggers run (and would re-point them too): the warehouse ends the same either way.
     */
    @ParameterizedTest(name = "superuser: {0}")
    @ValueSource(booleans = {true, false})
    void shouldRemoveDeletedMembersAndFactsAndRepointFactsToUnknownMember(boolean superuser, @TempDir Path dir)
            throws Exception {
        String pipeline = PIPELINE + (superuser ? "" : "_plain");
        String warehouse = superuser ? "hdw" : "hdwp";
        String user = superuser ? services.user() : PLAIN_ROLE;
        services.database(warehouse);
        if (!superuser) {
            services.execute("hsrc", "DO $$ BEGIN CREATE ROLE " + PLAIN_ROLE + " LOGIN; EXCEPTION WHEN "
                    + "duplicate_object THEN NULL; END $$", "ALTER DATABASE " + services.database(warehouse)
                    + " OWNER TO " + PLAIN_ROLE);
        }
        Path file = TestStar.definition(dir, services, pipeline, superuser ? "hsrc" : "hsrcp", warehouse, "star_dw");
        String database = "database: " + services.database(warehouse) + ", user: ";
        Files.writeString(file, Files.readString(file).replace(database + services.user(), database + user)
                .replace("    scd: 2\n", "    scd: 2\n    on_delete: hard\n")
                .replace("    scd: 1\n", "    scd: 1\n    on_delete: hard\n")
                .replace("    partition_by: date\n", "    partition_by: date\n    on_delete: hard\n"));
        TestWarehouse deployment = TestWarehouse.deploy(file);
        Instant t0 = Instant.parse("2026-03-01T10:00:00Z");
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), pipeline,
                deployment.tables()); KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            Map<String, List<Map<String, Object>>> snapshot = new LinkedHashMap<>();
            snapshot.put("public.customers", List.of(customer(1, "Ada", "a@x.org", "Paris"),
                    customer(2, "Bob", "b@x.org", "Rome")));
            snapshot.put("public.categories", List.of(Map.of("id", 1, "name", "Books")));
            snapshot.put("public.products", List.of(product(10, "Dune", 1, "9.90"),
                    product(11, "Emma", 1, "5.00")));
            snapshot.put("public.orders", List.of(order(100, 1, "2026-03-01T09:00:00Z", "19.80"),
                    order(101, 2, "2026-03-01T09:30:00Z", "5.00")));
            snapshot.put("public.order_items", List.of(item(1000, 100, 10, 2, "9.90", 1),
                    item(1001, 101, 11, 1, "5.00", 1)));
            envelopes.snapshot(snapshot);
            envelopes.begin(t0).update("public.customers", customer(1, "Ada", "a@x.org", "Oslo"))
                    .commit();
            assertThat(apply(warehouse, user, pipeline, deployment, store)).as("foreign keys checked per row")
                    .isEqualTo(!superuser);
            assertThat(services.query(warehouse, "SELECT count(*) FROM star_dw.dim_customer WHERE id = 1"))
                    .containsExactly("2");

            envelopes.begin(t0.plusSeconds(60)).delete("public.customers", Map.of("id", 1L))
                    .delete("public.products", Map.of("id", 11L))
                    .delete("public.order_items", Map.of("id", 1000L)).commit();
            assertThat(apply(warehouse, user, pipeline, deployment, store)).as("foreign keys checked per row")
                    .isEqualTo(!superuser);
            // A later change of a fact of the removed member does not bring it back as an inferred member.
            envelopes.begin(t0.plusSeconds(120)).update("public.orders", order(100, 1,
                    "2026-03-01T09:00:00Z", "0.00")).commit();
            assertThat(apply(warehouse, user, pipeline, deployment, store)).as("foreign keys checked per row")
                    .isEqualTo(!superuser);
        }

        assertThat(services.query(warehouse, "SELECT count(*) FROM star_dw.dim_customer WHERE id = 1"))
                .as("every version of the deleted member is removed").containsExactly("0");
        assertThat(services.query(warehouse, "SELECT id::text FROM star_dw.dim_product WHERE product_key <> -1"))
                .containsExactly("10");
        assertThat(services.query(warehouse, "SELECT id::text FROM star_dw.fact_order_line"))
                .containsExactly("1001");
        assertThat(services.query(warehouse, "SELECT product_key::text FROM star_dw.fact_order_line "
                + "WHERE id = 1001"))
                .as("a fact whose member was removed points at the unknown member").containsExactly("-1");
        assertThat(services.query(warehouse, "SELECT customer_key::text FROM star_dw.fact_order WHERE id = 100"))
                .containsExactly("-1");
        assertThat(services.query(warehouse, "SELECT c.name FROM star_dw.fact_order o JOIN star_dw.dim_customer c "
                + "USING (customer_key) WHERE o.id = 101")).containsExactly("Bob");
        Reconciliation reconciliation = new Reconciliation(deployment.star(), pipeline);
        for (String fact : reconciliation.facts()) {
            assertThat(row(warehouse, reconciliation.danglingReferences(fact)))
                    .as("rows of fact %s pointing at no member, per key", fact)
                    .containsExactlyElementsOf(Collections.nCopies(reconciliation.references(fact).size(), 0L));
        }
    }

    private static List<Long> row(String warehouse, String sql) throws Exception {
        List<Long> row = new ArrayList<>();
        try (Connection c = services.connect(warehouse); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                row.add(rs.getLong(i));
            }
        }
        return row;
    }

    private static boolean apply(String warehouse, String user, String pipeline, TestWarehouse deployment,
            KafkaSchemaStore store) throws Exception {
        return TestWarehouse.applyAll(services, warehouse, user, pipeline, deployment.star(), store);
    }
}
