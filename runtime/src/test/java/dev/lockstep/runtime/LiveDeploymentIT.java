package dev.lockstep.runtime;

import static dev.lockstep.warehouse.testing.TestStar.customer;
import static dev.lockstep.warehouse.testing.TestStar.item;
import static dev.lockstep.warehouse.testing.TestStar.order;
import static dev.lockstep.warehouse.testing.TestStar.product;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.migrations.DeploymentState;
import dev.lockstep.warehouse.testing.TestStar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A changed definition deployed to a pipeline whose apply stage is running under a live workload: the deploy is
 * handed to the running applier, which rebuilds the shadow columns chunk by chunk between its batches while every
 * batch writes them for the rows it changes (and loads a new fact into its shadow table, backfilled the same way),
 * then switches; a REPEATABLE READ reader running beside it sees, in every snapshot, every row with the values of
 * one version — never a mix, never the new fact half loaded.
 */
class LiveDeploymentIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "liveit";
    static final int ORDERS = 60;
    static final int ITEMS = 4;

    @Test
    void shouldRebuildAndSwitchBetweenBatchesWhileTheWorkloadRuns(@TempDir Path dir) throws Exception {
        TestStar.createSourceTables(services, "lsrc");
        services.database("ldw");
        Path file = TestStar.definition(dir, services, PIPELINE, "lsrc", "ldw", "star_dw");
        String first = Files.readString(file);
        WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicInteger transactions = new AtomicInteger();
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), PIPELINE,
                deployment.tables()); ApplyStage stage = ApplyStage.open(deployment, services.bootstrapServers())) {
            Map<String, List<Map<String, Object>>> snapshot = new LinkedHashMap<>();
            List<Map<String, Object>> customers = new ArrayList<>();
            for (int c = 1; c <= 10; c++) {
                customers.add(customer(c, "C" + c, "c" + c + "@d" + c + ".org", "Oslo"));
            }
            snapshot.put("public.customers", customers);
            // The saw's category is the new dimension's last member: loaded by its last chunk, after batches ran.
            List<Map<String, Object>> categories = new ArrayList<>();
            for (int c = 1; c <= 60; c++) {
                categories.add(Map.of("id", c, "name", "Category " + c));
            }
            snapshot.put("public.categories", categories);
            snapshot.put("public.products", List.of(product(10, "Saw", 60, "2.50")));
            List<Map<String, Object>> orders = new ArrayList<>();
            List<Map<String, Object>> items = new ArrayList<>();
            for (int o = 1; o <= ORDERS; o++) {
                orders.add(order(o, 1 + o % 10, "2026-03-01T09:00:00Z", "10.00"));
                for (int i = 1; i <= ITEMS; i++) {
                    items.add(item(o * 10L + i, o, 10, i, "2.50", 1));
                }
            }
            snapshot.put("public.orders", orders);
            snapshot.put("public.order_items", items);
            envelopes.snapshot(snapshot);

            Thread apply = thread("apply", stop, failures, () -> stage.step(Duration.ofMillis(50), replay -> { }));
            // The workload: each transaction changes a line's quantity and a customer's e-mail address.
            Thread workload = thread("workload", stop, failures, () -> {
                int n = transactions.incrementAndGet();
                long line = (n % ORDERS + 1) * 10L + n % ITEMS + 1;
                int c = n % 10 + 1;
                envelopes.begin(Instant.parse("2026-03-01T10:00:00Z").plusMillis(n))
                        .update("public.order_items", item(line, line / 10, 10, n % 7 + 1, "2.50", 1))
                        .update("public.customers", customer(c, "C" + c, "c" + c + "@n" + n + ".org", "Oslo"))
                        .update("public.orders", order(n % ORDERS + 1, 1 + (n % ORDERS + 1) % 10,
                                "2026-03-01T09:00:00Z", (n % 90 + 10) + ".00"))
                        .commit();
            });
            Thread reader = thread("reader", stop, failures, () -> seen.add(readConsistently()));
            apply.start();
            workload.start();
            reader.start();
            await().atMost(Duration.ofMinutes(1)).until(() -> transactions.get() > 50
                    && !seen.isEmpty() && failures.isEmpty());

            Files.writeString(file, first
                    // A new dimension, and a reference of the order lines to it through a new lookup.
                    .replace("  date:\n    generated:", "  category:\n    from: public.categories\n    key: id\n"
                            + "    columns:\n      label: name\n  date:\n    generated:")
                    .replace("      ord: { from: public.orders, on: order_id }\n", "      ord: { from: public.orders, "
                            + "on: order_id }\n      prod: { from: public.products, on: product_id }\n")
                    .replace("      product: product_id\n      date: ord.created_at\n", "      product: product_id\n"
                            + "      category: prod.category_id\n      date: ord.created_at\n")
                    .replace("      city: coalesce(city, 'Unknown')\n", "      city: coalesce(city, 'Unknown')\n"
                            + "      domain: split_part(email, '@', 2)\n")
                    .replace("amount: quantity * unit_price", "amount: quantity * unit_price * 2")
                    .replace("  order:\n    from: public.orders\n    grain: [id]\n", "  order:\n    from: public.orders\n"
                            + "    grain: [id]\n    lookup:\n      buyer: { from: public.customers, on: customer_id }\n")
                    .replace("      total: total\n", "      total: total\n"
                            + "      buyer_domain: split_part(buyer.email, '@', 2)\n")
                    .replace("    dimensions:\n      customer: customer_id\n", "    dimensions:\n      customer: "
                            + "customer_id\n      buyer: { dimension: customer, key: buyer.id }\n")
                    .replace("facts:\n", "facts:\n  line_value:\n    from: public.order_items\n    grain: [id]\n"
                            + "    lookup:\n      ord: { from: public.orders, on: order_id }\n"
                            + "    dimensions:\n      product: product_id\n    measures:\n"
                            + "      value: quantity * unit_price\n      order_total: ord.total\n"));
            List<String> notices = new CopyOnWriteArrayList<>();
            Deployer.Options options = new Deployer.Options(Deployer.Options.of("it").overrides(), "it", false, 25,
                    Duration.ofMinutes(2), notices::add, step -> { }, System::getenv);
            Deployer.Outcome outcome = Deployer.deploy(file, options);

            assertThat(outcome.state()).as(String.join("\n", notices)).isEqualTo(DeploymentState.SWITCHED);
            assertThat(notices).anyMatch(n -> n.contains("its applier carries out the deployment of version 2"));
            await().atMost(Duration.ofSeconds(30)).until(() -> stage.deployment().version() == 2);
            int atSwitch = transactions.get();
            await().atMost(Duration.ofMinutes(1)).until(() -> transactions.get() > atSwitch + 50);
            stop.set(true);
            for (Thread t : List.of(workload, reader, apply)) {
                t.join(Duration.ofMinutes(1).toMillis());
            }
            assertThat(failures).isEmpty();
            long end = ChangeEnvelopes.endOffset(services.bootstrapServers(), PIPELINE);
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(1)).until(() -> {
                stage.step(Duration.ofMillis(50), replay -> { });
                return stage.nextOffset() >= end;
            });
        }
        // Every snapshot the reader took saw one version whole: version 1's values before the switch, 2's after.
        assertThat(seen).allSatisfy(s -> assertThat(s).matches("[12] 0 0")).anyMatch(s -> s.startsWith("1 "))
                .anyMatch(s -> s.startsWith("2 "));
        assertThat(readConsistently()).isEqualTo("2 0 0");
        assertThat(services.query("ldw", "SELECT definition_version FROM lockstep.offsets")).containsExactly("2");
        assertThat(services.query("ldw", "SELECT state || ' ' || (switch_lsn IS NOT NULL) FROM lockstep.deployments "
                + "WHERE version = 2")).containsExactly("switched true");
    }

    /**
     * In one REPEATABLE READ transaction: which version the fact table has (2 once the switch renamed the rebuilt
     * column into place), then, twice, the lines and current customers whose values are not that version's, derived
     * from the raw layer in the same snapshot — {@code "<version> <lines> <customers>"}. The first statement reads
     * the fact table, so the switch (which renames its columns) waits for the transaction to end.
     *
     * <p>Which version is not read from {@code pg_attribute} with SQL: that read is as of the snapshot, and a
     * statement whose snapshot was taken just before the switch committed, but whose lock on the table was granted
     * after it, resolves column names with the catalog after the switch (PostgreSQL's DDL is not MVCC).
     */
    private static String readConsistently() throws Exception {
        try (Connection c = services.connect("ldw")) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            int version;
            try (Statement s = c.createStatement()) {
                s.executeQuery("SELECT count(*) FROM star_dw.fact_order_line").close(); // the snapshot, and the lock
                // Which columns the names resolve to (the catalog PostgreSQL resolves them with is its current one,
                // which cannot change while the transaction holds its lock on the table).
                Savepoint probe = c.setSavepoint();
                try {
                    s.executeQuery("SELECT _ls_prev_amount FROM star_dw.fact_order_line LIMIT 0").close();
                    version = 2;
                } catch (SQLException e) {
                    c.rollback(probe);
                    version = 1;
                }
            }
            String first = check(c, version);
            String again = check(c, version);
            c.commit();
            assertThat(again).as("the same snapshot, read again").isEqualTo(first);
            return first;
        }
    }

    private static String check(Connection c, int version) throws Exception {
        // Version 2 also has the new fact, whole: a line of it for each source line, with its value and its order's
        // total — a column version 1 looks up nowhere, which the stream changes during the rebuild —, and orders with
        // their buyer's e-mail domain, through a lookup version 1 does not have, of customers the stream changes, and
        // a reference to their buyer, resolved for the orders already loaded; and the lines' reference to a new
        // dimension, its member found for every line the stream changed while the dimension was being loaded.
        String customers = version == 1 ? "0" : "(SELECT count(*) FROM star_dw.dim_customer d JOIN "
                + "star_dw_raw.customers r USING (id) WHERE d.is_current AND NOT r._deleted AND d.domain IS DISTINCT "
                + "FROM split_part(r.email, '@', 2)) + (SELECT count(*) FROM star_dw_raw.order_items r LEFT JOIN "
                + "star_dw.fact_line_value f USING (id) LEFT JOIN star_dw_raw.orders o ON o.id = r.order_id WHERE NOT "
                + "r._deleted AND (f.value IS DISTINCT FROM r.quantity * r.unit_price OR f.order_total IS DISTINCT "
                + "FROM o.total)) + (SELECT count(*) FROM star_dw.fact_order f JOIN star_dw_raw.orders o USING (id) "
                + "LEFT JOIN star_dw_raw.customers b ON b.id = o.customer_id AND NOT b._deleted WHERE NOT o._deleted "
                + "AND f.buyer_domain IS DISTINCT FROM split_part(b.email, '@', 2)) + (SELECT count(*) FROM "
                + "star_dw.fact_order f JOIN star_dw_raw.orders o USING (id) LEFT JOIN star_dw.dim_customer d ON "
                + "d.customer_key = f.buyer_key WHERE NOT o._deleted AND d.id IS DISTINCT FROM o.customer_id) + (SELECT "
                + "count(*) FROM star_dw.fact_order_line f JOIN star_dw_raw.order_items r USING (id) JOIN "
                + "star_dw_raw.products p ON p.id = r.product_id LEFT JOIN star_dw.dim_category c ON c.category_key = "
                + "f.category_key WHERE NOT r._deleted AND c.id IS DISTINCT FROM p.category_id)";
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM "
                + "star_dw.fact_order_line f JOIN star_dw_raw.order_items r USING (id) WHERE NOT r._deleted AND "
                + "f.amount IS DISTINCT FROM r.quantity * r.unit_price * " + version + "), " + customers)) {
            rs.next();
            return version + " " + rs.getLong(1) + " " + rs.getLong(2);
        }
    }

    /** A thread running {@code work} until {@code stop}, recording what it throws (then it stops). */
    private static Thread thread(String name, AtomicBoolean stop, List<Throwable> failures, Work work) {
        return new Thread(() -> {
            try {
                while (!stop.get()) {
                    work.run();
                }
            } catch (Throwable t) {
                failures.add(t);
            }
        }, "live-it-" + name);
    }

    @FunctionalInterface
    interface Work {
        void run() throws Exception;
    }
}
