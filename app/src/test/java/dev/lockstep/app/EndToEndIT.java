package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.embedded.testing.ChildJvm;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.shop.AlertsWebhook;
import dev.lockstep.shop.ShopDatabase;
import dev.lockstep.shop.ShopWorkload;
import dev.lockstep.shop.testing.ExpectedCustomerVersions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product end to end: {@code lockstep run examples/shop/pipeline.yaml} in its own JVM while the shop workload
 * changes the source — inserts, updates, deletes, customers moving city (SCD 2), rows the rules quarantine — killed
 * with {@code kill -9} twice at random points and restarted; then {@code lockstep reconcile} passes exactly, the
 * SCD 2 history matches the workload's own record of the source changes, and a reader of the warehouse never saw a
 * source transaction half applied.
 */
class EndToEndIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    private static final Path DEFINITION = ShopRuns.DEFINITION;
    private static final long CHANGES = 4_000;
    private static final double RATE = 400;

    private static AlertsWebhook webhook;
    private static ShopRuns runs;

    @BeforeAll
    static void startWebhook() {
        webhook = AlertsWebhook.start();
        runs = new ShopRuns(services, webhook);
    }

    private static ChildJvm startRun(Path definition, String source, String warehouse) {
        return runs.startRun(definition, source, warehouse, Map.of());
    }

    private static void assertReconciles(Path definition, String source, String warehouse) {
        runs.assertReconciles(definition, source, warehouse);
    }

    /** Runs {@code lockstep reconcile} while the pipeline runs: it compares both sides at one position. */
    private static void assertReconcilesWhileRunning(Path definition) {
        try (ChildJvm reconcile = child("shop", "warehouse", "reconcile", definition.toString(), "--timeout",
                "PT2M")) {
            int exit = reconcile.awaitExitCode(Duration.ofMinutes(3));
            assertThat(reconcile.output()).as("reconcile's output").anyMatch(l -> l.startsWith("Comparing at one "
                    + "position while pipeline shop runs")).anyMatch(l -> l.startsWith("PASS"));
            assertThat(exit).isZero();
        }
    }

    private static ChildJvm child(String source, String warehouse, String... args) {
        return runs.child(source, warehouse, Map.of(), args);
    }

    @AfterAll
    static void stopWebhook() {
        webhook.close();
    }

    @Test
    void shouldReconcileExactlyAfterTheRunWasKilledTwiceUnderLoad(@TempDir Path dir) throws Exception {
        ShopDatabase shop = new ShopDatabase(400, 60, 500);
        try (Connection c = services.connect("shop")) {
            shop.create(c);
        }
        services.database("warehouse");
        Random random = new Random(20261121);
        ShopWorkload workload = new ShopWorkload(shop, random.nextLong());
        ExpectedCustomerVersions expectedVersions = ExpectedCustomerVersions.of(workload);
        AtomicBoolean stopWriting = new AtomicBoolean();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (Connection c = services.connect("shop")) {
                workload.run(c, CHANGES, RATE, stopWriting::get);
            } catch (Throwable e) {
                writerFailure.set(e);
            }
        }, "shop-workload");
        ConsistencyReader reader = new ConsistencyReader();

        ChildJvm run = startRun(DEFINITION, "shop", "warehouse");
        try {
            // "Running pipeline" is printed when the engine starts; its slot (the snapshot's consistent point) comes
            // after. A change committed before it is part of the snapshot's current state, not an SCD 2 version.
            await().atMost(Duration.ofMinutes(2)).until(() -> services.query("shop", "SELECT count(*) FROM "
                    + "pg_replication_slots WHERE slot_name = 'lockstep_shop' AND confirmed_flush_lsn IS NOT NULL")
                    .equals(List.of("1")));
            writer.start();
            reader.start();
            run.awaitLine(l -> l.startsWith("Initial snapshot applied"), Duration.ofMinutes(2));
            // Two kill -9 at random points of the workload, each followed by a restart that resumes.
            for (int kill = 0; kill < 2; kill++) {
                long at = (long) (CHANGES * (kill + random.nextDouble()) / 3);
                await().atMost(Duration.ofMinutes(2)).until(() -> workload.changes() >= at
                        || writerFailure.get() != null);
                run.kill();
                run.close();
                run = startRun(DEFINITION, "shop", "warehouse");
            }
            writer.join(Duration.ofMinutes(3).toMillis());
            assertThat(writerFailure.get()).as("the workload").isNull();
            assertThat(writer.isAlive()).as("the workload finished").isFalse();

            assertReconciles(DEFINITION, "shop", "warehouse");
            reader.stop();
            assertThat(reader.violations).as("what a concurrent reader saw").isEmpty();
            assertThat(reader.reads.get()).as("consistent reads while the pipeline ran").isGreaterThan(20);

            // SCD 2 history = the workload's record of the source's tracked changes, customer by customer.
            Map<Long, Integer> expected = expectedVersions.versions();
            Map<Long, Integer> versions = new HashMap<>();
            try (Connection c = services.connect("warehouse"); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT id, count(*) FROM shop_dw.dim_customer WHERE customer_key "
                            + "<> -1 AND NOT is_inferred GROUP BY id")) {
                while (rs.next()) {
                    versions.put(rs.getLong(1), rs.getInt(2));
                }
            }
            assertThat(versions).as("SCD 2 versions per customer").isEqualTo(expected);
            assertThat(expected.values().stream().filter(v -> v > 1).count()).as("customers with history")
                    .isGreaterThan(50);
            // Every open ledger row was diverted by a rule of the definition; nothing failed at run time.
            assertThat(services.query("warehouse", "SELECT DISTINCT coalesce(rule, cause) FROM lockstep.quarantine "
                    + "WHERE status = 'open' ORDER BY 1")).isNotEmpty().allMatch(rule -> List.of(
                            "not_null_customer_email", "accepted_values_customer_segment", "range_order_line_quantity",
                            "amount_not_negative").contains(rule));

            try (ChildJvm status = child("shop", "warehouse", "status", DEFINITION.toString())) {
                assertThat(status.awaitExitCode(Duration.ofMinutes(2))).isZero();
                assertThat(status.output()).anyMatch(l -> l.startsWith("  extract   running, slot lockstep_shop"))
                        .anyMatch(l -> l.matches("  apply     through .*, 0 records behind.*"))
                        .anyMatch(l -> l.matches("  customer +[0-9,]+ +[0-9,]+"))
                        .anyMatch(l -> l.startsWith("  open alerts: "))
                        .anyMatch(l -> l.matches(" +order_line +range_order_line_quantity +[0-9,]+ .*"));
            }

            // The three queries the demo and the README show work on the star schema and return rows.
            for (String query : DemoCommand.EXAMPLE_QUERIES.split(";\n")) {
                if (!query.isBlank()) {
                    assertThat(services.query("warehouse", query)).as(query).isNotEmpty();
                }
            }

            // While the workload writes again: reconcile compares both sides at one position, exactly.
            AtomicBoolean stopLive = new AtomicBoolean();
            Thread live = new Thread(() -> {
                try (Connection c = services.connect("shop")) {
                    workload.run(c, Long.MAX_VALUE, RATE, stopLive::get);
                } catch (Throwable e) {
                    writerFailure.set(e);
                }
            }, "shop-workload-live");
            long before = workload.changes();
            live.start();
            try {
                await().atMost(Duration.ofMinutes(1)).until(() -> workload.changes() > before + 200);
                assertReconcilesWhileRunning(DEFINITION);
                // A row changed behind Lockstep's back in the warehouse: the one difference.
                String line = services.query("warehouse", "SELECT min(id) FROM shop_dw.fact_order_line WHERE NOT is_deleted").get(0);
                services.execute("warehouse", "UPDATE shop_dw.fact_order_line SET quantity = quantity + 1000 WHERE id = "
                        + line);
                try (ChildJvm reconcile = child("shop", "warehouse", "reconcile", DEFINITION.toString(), "--timeout",
                        "PT2M")) {
                    assertThat(reconcile.awaitExitCode(Duration.ofMinutes(3))).as(String.join("\n",
                            reconcile.output())).isEqualTo(ReconcileCommand.DIFFERENCES);
                    assertThat(reconcile.output()).filteredOn(l -> l.contains("FAIL  ")).isNotEmpty()
                            .allMatch(l -> l.contains("order_line")).anyMatch(l -> l.contains("measures per key")
                                    && l.contains("0 missing, 0 extra, 1 differ"));
                }
                services.execute("warehouse", "UPDATE shop_dw.fact_order_line SET quantity = quantity - 1000 WHERE id = "
                        + line);

                // A changed definition: `run` with it is refused before anything starts ...
                String deployed = Files.readString(DEFINITION);
                Path changed = dir.resolve("changed.yaml");
                Files.writeString(changed, deployed.replace("      segment: coalesce(segment, 'standard')\n",
                        "      segment: coalesce(segment, 'standard')\n      vip: segment = 'platinum'\n")
                        .replace("    scd: 1\n", "    scd: 2\n    tracked: [list_price]\n")
                        .replace("facts:\n", "facts:\n  order:\n    from: public.orders\n    grain: [id]\n"
                                + "    dimensions: { customer: customer_id, date: created_at }\n"
                                + "    measures: { total: total, status: status }\n"));
                try (ChildJvm refused = child("shop", "warehouse", "run", changed.toString(), "--progress", "log")) {
                    assertThat(refused.awaitExitCode(Duration.ofMinutes(2))).isEqualTo(4);
                    assertThat(refused.output()).anyMatch(l -> l.contains("changed since version 1 was deployed"))
                            .anyMatch(l -> l.contains("`lockstep deploy " + changed + "` deploys it"))
                            .anyMatch(l -> l.equals("+      vip: segment = 'platinum'"))
                            .noneMatch(l -> l.startsWith("Running pipeline"));
                }
                assertThat(services.query("warehouse", "SELECT definition FROM lockstep.deployments WHERE pipeline "
                        + "= 'shop'")).containsExactly(deployed);

                // `deploy` hands it to the running pipeline: DeploymentLifecycleIT takes the shop through every
                // kind of change that way, reconciling after each.
            } finally {
                stopLive.set(true);
                live.join(Duration.ofMinutes(1).toMillis());
            }
            assertThat(writerFailure.get()).as("the workload").isNull();
            run.stop(Duration.ofMinutes(2));
            assertThat(run.output()).anyMatch(l -> l.startsWith("Stopped pipeline shop at"));
        } finally {
            stopWriting.set(true);
            reader.stop();
            run.close();
        }
    }

    /**
     * A kill -9 in the middle of the initial snapshot makes the extract snapshot again, later, without streaming
     * what changed in between: the rows of the first, cut-short snapshot that were deleted meanwhile must still leave
     * the warehouse (the completed snapshot truncates what it did not read again).
     */
    @Test
    void shouldReconcileExactlyAfterTheRunWasKilledDuringTheInitialSnapshot(@TempDir Path dir) throws Exception {
        Path definition = ShopRuns.renamed(dir, "bigshop");
        ShopDatabase shop = new ShopDatabase(5_000, 500, 5_000);
        try (Connection c = services.connect("bigshop")) {
            shop.create(c);
        }
        services.database("bigwarehouse");
        ShopWorkload workload = new ShopWorkload(shop, 7);
        AtomicBoolean stopWriting = new AtomicBoolean();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (Connection c = services.connect("bigshop")) {
                workload.run(c, Long.MAX_VALUE, RATE, stopWriting::get);
            } catch (Throwable e) {
                writerFailure.set(e);
            }
        }, "bigshop-workload");
        ChildJvm run = startRun(definition, "bigshop", "bigwarehouse");
        try {
            writer.start();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50)).until(() -> rawRows(
                    "bigwarehouse", "bigshop_dw_raw.order_items") > 0);
            run.kill();
            assertThat(run.output()).as("killed before the snapshot was applied")
                    .noneMatch(l -> l.startsWith("Initial snapshot applied"));
            run.close();
            // Deletes committed while nothing runs: the next snapshot does not see the rows, the stream skips them.
            await().atMost(Duration.ofMinutes(1)).until(() -> workload.changes() > 1_000);
            run = startRun(definition, "bigshop", "bigwarehouse");
            run.awaitLine(l -> l.startsWith("Initial snapshot applied"), Duration.ofMinutes(3));
            stopWriting.set(true);
            writer.join();
            assertThat(writerFailure.get()).as("the workload").isNull();
            assertReconciles(definition, "bigshop", "bigwarehouse");
        } finally {
            stopWriting.set(true);
            run.close();
        }
    }

    private static long rawRows(String database, String table) {
        try {
            return Long.parseLong(services.query(database, "SELECT count(*) FROM " + table).get(0));
        } catch (SQLException e) {
            return 0; // not created yet
        }
    }

    /**
     * Reads the warehouse over and over, each time in one snapshot, and records what no state between two source
     * transactions can show: an order item without its order (new orders and cancelled orders write both in one
     * source transaction), a fact line without its item, or a customer with two current versions.
     */
    private static final class ConsistencyReader {
        final List<String> violations = new CopyOnWriteArrayList<>();
        final AtomicLong reads = new AtomicLong();
        private final AtomicBoolean stopped = new AtomicBoolean();
        private Thread thread;

        void start() {
            thread = new Thread(this::readUntilStopped, "warehouse-reader");
            thread.start();
        }

        void stop() throws InterruptedException {
            stopped.set(true);
            if (thread != null) {
                thread.join();
            }
        }

        private void readUntilStopped() {
            while (!stopped.get()) {
                try (Connection c = services.connect("warehouse")) {
                    c.setAutoCommit(false);
                    c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                    c.setReadOnly(true);
                    while (!stopped.get()) {
                        if (read(c)) {
                            reads.incrementAndGet();
                        }
                        c.commit();
                    }
                } catch (SQLException e) {
                    // the warehouse is not there yet (first run migrating): read again
                }
            }
        }

        private boolean read(Connection c) throws SQLException {
            try (Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT to_regclass('shop_dw.fact_order_line') IS NOT NULL")) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        return false;
                    }
                }
                List<String> found = new ArrayList<>();
                found.addAll(ids(s, "SELECT 'item ' || i.id || ' without its order ' || i.order_id FROM "
                        + "shop_dw_raw.order_items i WHERE NOT i._deleted AND NOT EXISTS (SELECT 1 FROM "
                        + "shop_dw_raw.orders o WHERE o.id = i.order_id AND NOT o._deleted) LIMIT 5"));
                found.addAll(ids(s, "SELECT 'fact line ' || f.id || ' without its item' FROM shop_dw.fact_order_line f "
                        + "WHERE NOT f.is_deleted AND NOT EXISTS (SELECT 1 FROM shop_dw_raw.order_items i WHERE i.id = "
                        + "f.id AND NOT i._deleted) LIMIT 5"));
                found.addAll(ids(s, "SELECT 'customer ' || id || ' with ' || count(*) || ' current versions' FROM "
                        + "shop_dw.dim_customer WHERE is_current AND customer_key <> -1 GROUP BY id HAVING count(*) > 1 "
                        + "LIMIT 5"));
                violations.addAll(found);
                return true;
            }
        }

        private static List<String> ids(Statement s, String sql) throws SQLException {
            List<String> rows = new ArrayList<>();
            try (ResultSet rs = s.executeQuery(sql)) {
                while (rs.next()) {
                    rows.add(rs.getString(1));
                }
            }
            return rows;
        }
    }
}
