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
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The apply transaction's transform and load steps, from change envelopes written directly to the changes topic:
 * SCD 2 versions from each source transaction of a batch, SCD 1, facts with surrogate keys resolved at commit
 * time, inferred members, lookups, run-time error quarantine, monthly partitions, and the replay guard. The
 * warehouse is built as a deployment builds it ({@link TestWarehouse}: type-checked definition, generated
 * migrations). Tests run in order on one stream.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StarSchemaApplyIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "starit";
    static final Instant T0 = Instant.parse("2026-01-10T09:00:00Z");

    @TempDir
    static Path dir;
    static TestWarehouse deployment;
    static ChangeEnvelopes envelopes;
    static KafkaSchemaStore store;

    @BeforeAll
    static void deploy() throws Exception {
        services.database("dw");
        deployment = TestWarehouse.deploy(TestStar.definition(dir, services, PIPELINE, "src", "dw", "star_dw"));
        assertThat(deployment.applied()).containsExactly(1, 2);
        envelopes = ChangeEnvelopes.open(services.bootstrapServers(), PIPELINE, deployment.tables());
        store = KafkaSchemaStore.open(services.bootstrapServers());
    }

    @AfterAll
    static void close() {
        envelopes.close();
        store.close();
    }

    @Test
    @Order(1)
    void shouldStartSnapshotVersionsAtMinusInfinity() throws Exception {
        Map<String, List<Map<String, Object>>> snapshot = new LinkedHashMap<>();
        snapshot.put("public.customers", List.of(customer(1, "Ada", "ADA@x.org", "Paris"),
                customer(2, "Bob", "bob@x.org", null), customer(3, "Cy", "cy@x.org", "Lyon")));
        snapshot.put("public.categories", List.of(Map.of("id", 1, "name", "Books")));
        snapshot.put("public.products", List.of(product(10, "Dune", 1, "9.90"), product(11, "Emma", 1, "5.00")));
        envelopes.snapshot(snapshot);

        applyAll();

        assertThat(dw("SELECT id || ' ' || name || ' ' || city || ' ' || valid_from || ' ' || valid_to || ' ' "
                + "|| is_current FROM star_dw.dim_customer WHERE customer_key <> -1 ORDER BY id"))
                .containsExactly("1 Ada Paris -infinity infinity true", "2 Bob Unknown -infinity infinity true",
                        "3 Cy Lyon -infinity infinity true");
        assertThat(dw("SELECT email FROM star_dw.dim_customer WHERE id = 1")).containsExactly("ada@x.org");
        assertThat(dw("SELECT name || ' ' || category || ' ' || list_price FROM star_dw.dim_product "
                + "WHERE product_key <> -1 ORDER BY id")).containsExactly("Dune Books 9.90", "Emma Books 5.00");
    }

    @Test
    @Order(2)
    void shouldCreateOneVersionPerSourceTransactionInOneBatch() throws Exception {
        Instant t1 = T0.plusSeconds(60);
        Instant t2 = T0.plusSeconds(120);
        Instant t3 = T0.plusSeconds(180);
        envelopes.begin(t1).update("public.customers", customer(1, "Ada", "ada@x.org", "Berlin")).commit();
        // Two changes of the key inside one transaction collapse to the transaction's final image.
        envelopes.begin(t2).update("public.customers", customer(1, "Ada", "ada@x.org", "Rome"))
                .update("public.customers", customer(1, "Ada", "ada@x.org", "Oslo")).commit();
        envelopes.begin(t3).update("public.customers", customer(1, "Ada", "ada@x.org", "Madrid")).commit();
        // An untracked column corrects the current version in place.
        envelopes.begin(t3.plusSeconds(60)).update("public.customers", customer(1, "Ada L.", "ada@x.org", "Madrid"))
                .commit();

        applyAll();

        assertThat(dw("SELECT name || ' ' || city || ' ' || valid_from || ' ' || valid_to || ' ' || is_current "
                + "FROM star_dw.dim_customer WHERE id = 1 ORDER BY valid_from")).containsExactly(
                "Ada Paris -infinity " + ts(t1) + " false",
                "Ada Berlin " + ts(t1) + " " + ts(t2) + " false",
                "Ada Oslo " + ts(t2) + " " + ts(t3) + " false",
                "Ada L. Madrid " + ts(t3) + " infinity true");
        assertThat(dw("SELECT count(DISTINCT _loaded_at) FROM star_dw.dim_customer WHERE id = 1 "
                + "AND valid_from > '-infinity'")).as("the three versions were written by one warehouse transaction")
                .containsExactly("1");
    }

    @Test
    @Order(3)
    void shouldKeepOneRowWhenKeyChangesTwiceInOneBatch() throws Exception {
        Instant t = T0.plusSeconds(3600);
        envelopes.begin(t).insert("public.products", product(12, "Faust", 1, "7.00"))
                .insert("public.orders", order(100, 2, "2026-01-10T10:00:00Z", "21.00"))
                .insert("public.order_items", item(1000, 100, 12, 3, "7.00", 1))
                .update("public.products", product(12, "Faust I", 1, "7.50")).commit();
        envelopes.begin(t.plusSeconds(1)).update("public.products", product(12, "Faust II", 1, "8.00"))
                .update("public.order_items", item(1000, 100, 12, 4, "7.00", 1)).commit();
        envelopes.begin(t.plusSeconds(2)).update("public.order_items", item(1000, 100, 12, 5, "7.00", 1))
                .update("public.orders", order(100, 2, "2026-01-10T10:00:00Z", "35.00")).commit();

        applyAll();

        assertThat(dw("SELECT name || ' ' || list_price FROM star_dw.dim_product WHERE id = 12"))
                .containsExactly("Faust II 8.00");
        assertThat(dw("SELECT quantity || ' ' || amount FROM star_dw.fact_order_line WHERE id = 1000"))
                .containsExactly("5 35.00");
        assertThat(dw("SELECT total::text FROM star_dw.fact_order WHERE id = 100")).containsExactly("35.00");
        assertThat(dw("SELECT c.name FROM star_dw.fact_order_line f JOIN star_dw.dim_customer c USING (customer_key) "
                + "WHERE f.id = 1000")).containsExactly("Bob");
    }

    @Test
    @Order(4)
    void shouldInferMissingMemberAndCompleteItWhenItArrives() throws Exception {
        Instant t = T0.plusSeconds(7200);
        envelopes.begin(t).insert("public.orders", order(101, 99, "2026-01-10T11:00:00Z", "7.00"))
                .insert("public.order_items", item(1001, 101, 12, 1, "7.00", 1)).commit();
        applyAll();
        List<String> inferred = dw("SELECT customer_key || ' ' || is_inferred || ' ' || coalesce(name, '?') "
                + "FROM star_dw.dim_customer WHERE id = 99");
        assertThat(inferred).singleElement().asString().endsWith(" true ?");
        String key = inferred.get(0).split(" ")[0];
        assertThat(dw("SELECT customer_key::text FROM star_dw.fact_order_line WHERE id = 1001")).containsExactly(key);

        envelopes.begin(t.plusSeconds(60)).insert("public.customers", customer(99, "Zoe", "zoe@x.org", "Nice"))
                .commit();
        applyAll();

        assertThat(dw("SELECT customer_key || ' ' || is_inferred || ' ' || name || ' ' || city || ' ' || is_current "
                + "FROM star_dw.dim_customer WHERE id = 99")).containsExactly(key + " false Zoe Nice true");
        assertThat(dw("SELECT customer_key::text FROM star_dw.fact_order_line WHERE id = 1001")).containsExactly(key);
    }

    @Test
    @Order(5)
    void shouldRederiveFactsWhenLookedUpRowChanges() throws Exception {
        String bobKey = dw("SELECT customer_key::text FROM star_dw.dim_customer WHERE id = 2").get(0);
        String cyKey = dw("SELECT customer_key::text FROM star_dw.dim_customer WHERE id = 3").get(0);
        assertThat(dw("SELECT customer_key::text FROM star_dw.fact_order_line WHERE id = 1000")).containsExactly(bobKey);

        envelopes.begin(T0.plusSeconds(9000)).update("public.orders", order(100, 3, "2026-01-10T10:00:00Z", "35.00"))
                .update("public.categories", Map.of("id", 1, "name", "Novels")).commit();
        applyAll();

        assertThat(dw("SELECT customer_key::text FROM star_dw.fact_order_line WHERE id = 1000"))
                .as("the order moved to another customer: its line follows").containsExactly(cyKey);
        assertThat(dw("SELECT customer_key::text FROM star_dw.fact_order WHERE id = 100")).containsExactly(cyKey);
        assertThat(dw("SELECT DISTINCT category FROM star_dw.dim_product WHERE product_key <> -1"))
                .as("the category was renamed: every product in it is re-derived").containsExactly("Novels");
    }

    @Test
    @Order(6)
    void shouldKeepFactsOfALookedUpRowWhenOnlyAColumnTheyDoNotUseChanges() throws Exception {
        String cyKey = dw("SELECT customer_key::text FROM star_dw.dim_customer WHERE id = 3 AND is_current").get(0);
        assertThat(dw("SELECT customer_key::text FROM star_dw.fact_order_line WHERE id = 1000")).containsExactly(cyKey);

        // Cy moves (a new version of the customer), then only the order's total changes: the order lines use its
        // customer and date, not its total.
        envelopes.begin(T0.plusSeconds(9100)).update("public.customers", customer(3, "Cy", "cy@x.org", "Nantes"))
                .commit();
        envelopes.begin(T0.plusSeconds(9200)).update("public.orders", order(100, 3, "2026-01-10T10:00:00Z", "36.00"))
                .commit();
        applyAll();

        String cyMoved = dw("SELECT customer_key::text FROM star_dw.dim_customer WHERE id = 3 AND is_current").get(0);
        assertThat(cyMoved).isNotEqualTo(cyKey);
        assertThat(dw("SELECT customer_key::text FROM star_dw.fact_order_line WHERE id = 1000"))
                .as("the line keeps the version it was resolved to when it or its order's customer changed")
                .containsExactly(cyKey);
        assertThat(dw("SELECT customer_key || ' ' || total FROM star_dw.fact_order WHERE id = 100"))
                .as("the order itself changed: resolved at its change").containsExactly(cyMoved + " 36.00");

        // The order moves to another customer: its line is re-derived.
        envelopes.begin(T0.plusSeconds(9300)).update("public.orders", order(100, 2, "2026-01-10T10:00:00Z", "36.00"))
                .commit();
        applyAll();
        assertThat(dw("SELECT customer_key::text FROM star_dw.fact_order_line WHERE id = 1000"))
                .containsExactly(dw("SELECT customer_key::text FROM star_dw.dim_customer WHERE id = 2 AND is_current")
                        .get(0));
    }

    @Test
    @Order(7)
    void shouldQuarantineRowWithDivisionByZeroAndLoadRestOfTransaction() throws Exception {
        envelopes.begin(T0.plusSeconds(10_000)).insert("public.orders", order(102, 1, "2026-01-11T08:00:00Z", "30.00"))
                .insert("public.order_items", item(1002, 102, 10, 1, "10.00", 1))
                .insert("public.order_items", item(1003, 102, 11, 1, "10.00", 0))
                .insert("public.order_items", item(1004, 102, 12, 1, "10.00", 1)).commit();

        applyAll();

        assertThat(dw("SELECT id::text FROM star_dw.fact_order_line WHERE order_id = 102 ORDER BY id"))
                .containsExactly("1002", "1004");
        assertThat(dw("SELECT cause || ' ' || target || ' ' || source_table || ' ' || natural_key::text || ' ' "
                + "|| sql_state || ' ' || reason FROM lockstep.quarantine WHERE cause = 'runtime_error'"))
                .containsExactly("runtime_error order_line public.order_items {\"id\": 1003} 22012 division by zero");
        assertThat(dw("SELECT id::text FROM star_dw.fact_order WHERE id = 102")).containsExactly("102");
    }

    @Test
    @Order(8)
    void shouldMoveFactBetweenMonthlyPartitions() throws Exception {
        // 23:30 UTC on 31 January is 1 February in Paris, the pipeline's timezone.
        envelopes.begin(T0.plusSeconds(11_000)).insert("public.orders", order(103, 1, "2026-01-31T23:30:00Z", "5.00"))
                .insert("public.order_items", item(1005, 103, 10, 1, "5.00", 1)).commit();
        applyAll();
        assertThat(dw("SELECT tableoid::regclass || ' ' || date_key FROM star_dw.fact_order_line WHERE id = 1005"))
                .containsExactly("star_dw.fact_order_line_2026_02 20260201");

        envelopes.begin(T0.plusSeconds(12_000)).update("public.orders", order(103, 1, "2026-03-15T12:00:00Z", "5.00"))
                .commit();
        applyAll();

        assertThat(dw("SELECT tableoid::regclass || ' ' || date_key FROM star_dw.fact_order_line WHERE id = 1005"))
                .containsExactly("star_dw.fact_order_line_2026_03 20260315");
        assertThat(dw("SELECT count(*) FROM star_dw.fact_order_line WHERE id = 1005")).containsExactly("1");
    }

    @Test
    @Order(9)
    void shouldExtendDateDimensionWhenDataFallsOutsideItsRange() throws Exception {
        envelopes.begin(T0.plusSeconds(13_000)).insert("public.orders", order(104, 1, "2031-01-02T12:00:00Z", "1.00"))
                .commit();
        applyAll();

        assertThat(dw("SELECT max(date)::text FROM star_dw.dim_date")).containsExactly("2031-01-02");
        assertThat(dw("SELECT count(*) FROM star_dw.dim_date WHERE date > '2030-12-31'")).containsExactly("2");
        assertThat(dw("SELECT d.day_name || ' ' || d.iso_week FROM star_dw.fact_order f JOIN star_dw.dim_date d "
                + "USING (date_key) WHERE f.id = 104")).containsExactly("Thursday 1");
    }

    @Test
    @Order(10)
    void shouldCloseVersionAndMarkDeletedOnSoftDelete() throws Exception {
        Instant t = T0.plusSeconds(14_000);
        envelopes.begin(t).delete("public.order_items", Map.of("id", 1004L))
                .delete("public.customers", Map.of("id", 2L)).commit();
        applyAll();

        assertThat(dw("SELECT is_deleted || ' ' || quantity FROM star_dw.fact_order_line WHERE id = 1004"))
                .containsExactly("true 1");
        assertThat(dw("SELECT is_deleted || ' ' || is_current || ' ' || valid_to FROM star_dw.dim_customer "
                + "WHERE id = 2")).containsExactly("true false " + ts(t));
    }

    @Test
    @Order(11)
    void shouldNotChangeWarehouseWhenOffsetIsRewound() throws Exception {
        List<String> tables = List.of("dim_customer", "dim_product", "dim_date", "fact_order_line", "fact_order");
        Map<String, List<String>> before = new LinkedHashMap<>();
        for (String table : tables) {
            before.put(table, dw("SELECT t::text FROM star_dw." + table + " t ORDER BY 1"));
        }
        List<String> quarantine = dw("SELECT quarantine_id::text FROM lockstep.quarantine ORDER BY 1");
        services.execute("dw", "UPDATE lockstep.offsets SET next_offset = 0, commit_lsn = 0, sequence = 0");

        applyAll();

        for (String table : tables) {
            assertThat(dw("SELECT t::text FROM star_dw." + table + " t ORDER BY 1")).as(table)
                    .isEqualTo(before.get(table));
        }
        assertThat(dw("SELECT quarantine_id::text FROM lockstep.quarantine ORDER BY 1")).isEqualTo(quarantine);
    }

    @Test
    @Order(12)
    void shouldApplyTransactionLargerThanBatchSizeWhole() throws Exception {
        // 60,000 lines: more than the batch size and more COPY text than the applier keeps in memory per table.
        ChangeEnvelopes.Tx tx = envelopes.begin(T0.plusSeconds(15_000))
                .insert("public.orders", order(105, 3, "2026-02-02T12:00:00Z", "60000.00"));
        for (int i = 0; i < 60_000; i++) {
            tx.insert("public.order_items", item(100_000 + i, 105, 10, 1, "1.00", 1));
        }
        tx.commit();

        applyAll();

        assertThat(dw("SELECT count(*) || ' ' || sum(amount) || ' ' || count(DISTINCT _loaded_at) "
                + "FROM star_dw.fact_order_line WHERE order_id = 105")).containsExactly("60000 60000.00 1");
        assertThat(dw("SELECT count(*) FROM star_dw_raw.order_items WHERE order_id = 105")).containsExactly("60000");
    }

    @Test
    @Order(13)
    void shouldCloseEveryCurrentVersionWhenDimensionTableIsTruncated() throws Exception {
        Instant t = T0.plusSeconds(16_000);
        envelopes.begin(t).update("public.customers", customer(3, "Cy", "cy@x.org", "Brest"))
                .truncate("public.customers").commit();

        applyAll();

        assertThat(dw("SELECT count(*) FROM star_dw.dim_customer WHERE is_current AND customer_key <> -1"))
                .as("a truncate closes every member's version, also one changed just before it").containsExactly("0");
        assertThat(dw("SELECT city || ' ' || is_deleted || ' ' || valid_to FROM star_dw.dim_customer WHERE id = 3 "
                + "ORDER BY valid_from DESC LIMIT 1")).containsExactly("Brest true " + ts(t));
    }

    /** PostgreSQL's text of a timestamptz in the warehouse session's zone (the test server's, UTC). */
    private static String ts(Instant instant) throws Exception {
        return dw("SELECT '" + instant + "'::timestamptz::text").get(0);
    }

    private static List<String> dw(String sql) throws Exception {
        return services.query("dw", sql);
    }

    /** Applies everything on the changes topic, as one applier run (batches close when no more records are ready). */
    private static void applyAll() throws Exception {
        TestWarehouse.applyAll(services, "dw", PIPELINE, deployment.star(), store);
    }
}
