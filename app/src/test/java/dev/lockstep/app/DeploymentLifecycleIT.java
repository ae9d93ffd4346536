package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.embedded.testing.ChildJvm;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.shop.AlertsWebhook;
import dev.lockstep.shop.ShopDatabase;
import dev.lockstep.shop.ShopWorkload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #17's acceptance run: {@code lockstep run} applies the shop example under a live workload while
 * {@code lockstep deploy} takes it through one change after another — add an attribute with an expression, change a
 * measure's expression, add a fact, turn a dimension from SCD 1 to SCD 2, rename a measure ({@code renamed_from}),
 * drop an attribute (contract), add a hand-written rollup migration — and {@code lockstep rollback} takes the last one
 * back. Four of them are killed on the way — at expand, in the rebuild, before the switch, in the contract phase —:
 * with {@code run} stopped the deploy carries the deployment out itself and halts at its fail-point as {@code kill -9}
 * would stop it, the persisted state is asserted, and {@code run}, started again, carries it to the end. After each
 * step {@code lockstep reconcile} passes exactly while the workload writes, and a REPEATABLE READ
 * reader running throughout checks, in each of its snapshots, that every row it can derive again from the raw layer
 * carries the values of one definition version: the changed measure all old or all new, a new attribute, fact or
 * renamed measure whole from the moment it appears, one current version per product once products are SCD 2.
 */
class DeploymentLifecycleIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    private static final String SOURCE = "lifesrc";
    private static final String WAREHOUSE = "lifedw";
    private static final String PIPELINE = "lifecycle";
    private static final double RATE = 100;
    private static final String OLD_AMOUNT = "round(quantity * unit_price * (1 - coalesce(discount_pct, 0) / 100.0), 2)";
    private static final String NEW_AMOUNT = "round(quantity * unit_price, 2)";

    @TempDir
    static Path dir;

    private static AlertsWebhook webhook;
    private static ShopRuns runs;
    /** The {@code lockstep run} applying the pipeline now (started again after each kill). */
    private static ChildJvm run;

    @BeforeAll
    static void start() throws Exception {
        webhook = AlertsWebhook.start();
        runs = new ShopRuns(services, webhook);
        try (Connection c = services.connect(SOURCE)) {
            new ShopDatabase(400, 60, 500).create(c);
        }
        services.database(WAREHOUSE);
        Files.writeString(dir.resolve("password"), services.password());
    }

    @AfterAll
    static void stopWebhook() {
        webhook.close();
    }

    @Test
    void shouldDeployEachChangeAndRollBackWhileTheWorkloadRunsAndReconcileAfterEach() throws Exception {
        // A pipeline name of its own: its slot and topics live beside other classes' on the shared services.
        String text = ShopRuns.pointedAt(services, SOURCE, WAREHOUSE).replace("pipeline: shop", "pipeline: "
                + PIPELINE).replace("${SHOP_ALERTS_WEBHOOK:-https://hooks.example.com/lockstep/shop}", webhook.url());
        Path file = dir.resolve("shop.yaml");
        Files.writeString(file, text);
        ShopWorkload workload = new ShopWorkload(new ShopDatabase(400, 60, 500), 20261205);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (Connection c = services.connect(SOURCE)) {
                workload.run(c, Long.MAX_VALUE, RATE, stop::get);
            } catch (Throwable e) {
                writerFailure.set(e);
            }
        }, "lifecycle-workload");
        Reader reader = new Reader();
        run = runs.startRun(file, SOURCE, WAREHOUSE, Map.of());
        try {
            run.awaitLine(l -> l.startsWith("Initial snapshot applied"), Duration.ofMinutes(2));
            writer.start();
            reader.start();
            await().atMost(Duration.ofMinutes(1)).until(() -> workload.changes() > 300 && reader.reads() > 0);
            reconcile(file, 1);

            text = deployKilledAt("expand", "expanding", file, 2, text.replace(
                    "      segment: coalesce(segment, 'standard')\n",
                    "      segment: coalesce(segment, 'standard')\n      domain: split_part(email, '@', 2)\n"));
            text = deployKilledAt("rebuild", "rebuilding", file, 3, text.replace(OLD_AMOUNT, NEW_AMOUNT));
            text = deploy(file, 4, text.replace("facts:\n", "facts:\n  order:\n    from: public.orders\n"
                    + "    grain: [id]\n    dimensions: { customer: customer_id, date: created_at }\n"
                    + "    measures: { total: total }\n"));
            text = deploy(file, 5, text.replace("    scd: 1\n", "    scd: 2\n    tracked: [list_price]\n"));
            text = deployKilledAt("switch", "rebuilding", file, 6, text.replace("      unit_price: unit_price\n",
                    "      price_each: unit_price\n").replace("    partition_by: date",
                    "    renamed_from: { price_each: unit_price }\n    partition_by: date"));
            assertThat(columns("dim_customer")).contains("signup_date");
            text = deployKilledAt("contract", "contracting", file, 7, text.replace(
                    "      signup_date: created_at::date\n", ""));
            assertThat(columns("dim_customer")).doesNotContain("signup_date");

            Path rollups = Files.createDirectories(dir.resolve("rollups"));
            Files.writeString(rollups.resolve("V1__daily_sales.sql"), "SET lock_timeout = '5s';\n"
                    + "CREATE MATERIALIZED VIEW shop_dw.daily_sales AS SELECT date_key, sum(amount) AS amount, "
                    + "sum(quantity) AS quantity FROM shop_dw.fact_order_line WHERE NOT is_deleted GROUP BY date_key;\n");
            Files.writeString(rollups.resolve("U1__daily_sales.sql"), "SET lock_timeout = '5s';\n"
                    + "DROP MATERIALIZED VIEW shop_dw.daily_sales;\n");
            String withRollup = ShopRuns.replaceLine(text, "schema: shop_dw", "schema: shop_dw\n  migrations: rollups");
            deploy(file, 8, withRollup);
            assertThat(services.query(WAREHOUSE, "SELECT count(*) > 0 FROM shop_dw.daily_sales")).containsExactly("t");

            // Rolling back the last deployment: version 7's text again, as version 9; the rollup goes.
            String rolledBack = InProcessCli.succeed("rollback", file.toString(), "--contract");
            assertThat(rolledBack).contains("Pipeline " + PIPELINE + ": version 9 deployed");
            assertThat(services.query(WAREHOUSE, "SELECT to_regclass('shop_dw.daily_sales') IS NULL"))
                    .containsExactly("t");
            assertThat(services.query(WAREHOUSE, "SELECT definition FROM lockstep.deployments WHERE version = 9"))
                    .containsExactly(text);
            reconcile(file, 9);

            stop.set(true);
            writer.join(Duration.ofMinutes(1).toMillis());
            reader.stop();
            assertThat(writerFailure.get()).as("the workload").isNull();
            assertThat(reader.violations).as("rows of a snapshot not all of one version").isEmpty();
            assertThat(reader.amounts).as("the changed measure, as snapshots saw it").contains("old", "new");
            assertThat(services.query(WAREHOUSE, "SELECT string_agg(version || ' ' || state, ', ' ORDER BY version) "
                    + "FROM lockstep.deployments")).containsExactly("1 done, 2 done, 3 done, 4 done, 5 done, 6 done, "
                    + "7 done, 8 done, 9 done");
            run.stop(Duration.ofMinutes(2));
            assertThat(run.output()).anyMatch(l -> l.startsWith("Stopped pipeline " + PIPELINE + " at"));
        } finally {
            stop.set(true);
            reader.stop();
            run.close();
        }
    }

    /**
     * Deploys {@code text} (written to {@code file}) to the running pipeline with {@code --contract}, asserts it
     * became {@code version}, and reconciles while the workload writes; returns {@code text}.
     */
    private static String deploy(Path file, int version, String text) throws Exception {
        Files.writeString(file, text);
        String out = InProcessCli.succeed("deploy", file.toString(), "--contract", "--chunk-size", "500");
        assertThat(out).contains("its applier carries out the deployment of version " + version)
                .contains("Pipeline " + PIPELINE + ": version " + version + " deployed");
        reconcile(file, version);
        return text;
    }

    /**
     * Deploys {@code text} (written to {@code file}) as {@code version} the way a crash leaves it: {@code run}
     * stopped, so the deploy holds the apply lease and carries the deployment out itself, and halted at fail-point
     * {@code step} as {@code kill -9} would stop it. Asserts the state persisted there ({@code state}), starts
     * {@code run} again — its applier carries the deployment on between batches —, waits until it is done and
     * reconciles while the workload writes; returns {@code text}.
     */
    private static String deployKilledAt(String step, String state, Path file, int version, String text)
            throws Exception {
        Files.writeString(file, text);
        run.stop(Duration.ofMinutes(1));
        try (ChildJvm deploy = runs.child(SOURCE, WAREHOUSE, Map.of(), Map.of("LOCKSTEP_FAIL_POINT", step), "deploy",
                file.toString(), "--contract", "--chunk-size", "500")) {
            assertThat(deploy.awaitExitCode(Duration.ofMinutes(2))).as("deploy halted at %s:%n%s", step,
                    String.join("\n", deploy.output())).isEqualTo(137);
            assertThat(deploy.output()).contains("halting at fail-point " + step);
        }
        String deployment = "SELECT state FROM lockstep.deployments WHERE version = " + version;
        assertThat(services.query(WAREHOUSE, deployment)).as("the state a kill at %s leaves", step)
                .containsExactly(state);
        run = runs.startRun(file, SOURCE, WAREHOUSE, Map.of());
        await().atMost(Duration.ofMinutes(2)).until(() -> services.query(WAREHOUSE, deployment).equals(List.of("done")));
        reconcile(file, version);
        return text;
    }

    /** Runs {@code lockstep reconcile} while the pipeline runs and the workload writes, and asserts an exact match. */
    private static void reconcile(Path file, int version) {
        InProcessCli reconcile = InProcessCli.run("reconcile", file.toString(), "--kafka", services.bootstrapServers(),
                "--timeout", "PT2M");
        assertThat(reconcile.output()).as("reconcile after version %d", version)
                .contains("Comparing at one position while pipeline " + PIPELINE + " runs").doesNotContain("FAIL ");
        assertThat(reconcile.exit()).as(reconcile.output()).isZero();
    }

    private static List<String> columns(String table) throws SQLException {
        return services.query(WAREHOUSE, "SELECT column_name FROM information_schema.columns WHERE table_schema = "
                + "'shop_dw' AND table_name = '" + table + "'");
    }

    /**
     * Reads the warehouse over and over in REPEATABLE READ transactions. Each takes its tables' locks first
     * ({@code LOCK TABLE … IN ACCESS SHARE MODE} needs no snapshot), so the snapshot its first query takes is not
     * older than the catalog it reads the columns with: a switch (which renames columns and tables) either committed
     * before the snapshot or waits for the transaction. Then it derives again from the raw layer, in the same
     * snapshot, the values each version puts into rows the quality rules let through and counts the rows that differ.
     */
    private static final class Reader {
        private static final String LINES = "shop_dw_raw.order_items r JOIN shop_dw.fact_order_line f USING (id) "
                + "WHERE NOT r._deleted AND r.quantity BETWEEN 1 AND 1000 AND coalesce(r.discount_pct, 0) BETWEEN 0 "
                + "AND 100";
        private static final Duration PACE = Duration.ofMillis(50);
        final List<String> violations = new CopyOnWriteArrayList<>();
        final List<String> amounts = new CopyOnWriteArrayList<>();
        private final AtomicBoolean stopped = new AtomicBoolean();
        private volatile long reads;
        private Thread thread;

        void start() {
            thread = new Thread(this::readUntilStopped, "lifecycle-reader");
            thread.start();
        }

        long reads() {
            return reads;
        }

        void stop() throws InterruptedException {
            stopped.set(true);
            if (thread != null) {
                thread.join(Duration.ofMinutes(1).toMillis());
            }
        }

        private void readUntilStopped() {
            while (!stopped.get()) {
                try (Connection c = services.connect(WAREHOUSE)) {
                    while (!stopped.get()) {
                        read(c);
                        reads++;
                        LockSupport.parkNanos(PACE.toNanos()); // a reader's pace: the pipeline shares two cores
                    }
                } catch (SQLException e) {
                    // A table dropped or renamed between listing and locking it: read again, on a new connection.
                } catch (Throwable t) {
                    violations.add(t.toString());
                    return;
                }
            }
        }

        private void read(Connection c) throws SQLException {
            c.setAutoCommit(true);
            List<String> tables = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT t FROM unnest(ARRAY["
                    + "'shop_dw.fact_order_line', 'shop_dw.dim_customer', 'shop_dw.dim_product', "
                    + "'shop_dw.fact_order']) t WHERE to_regclass(t) IS NOT NULL")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (Statement s = c.createStatement()) {
                s.execute("LOCK TABLE shop_dw_raw.order_items, shop_dw_raw.customers, shop_dw_raw.orders, "
                        + "shop_dw_raw.products, " + String.join(", ", tables) + " IN ACCESS SHARE MODE");
                List<String> lineColumns = columns(s, "fact_order_line");
                long oldAmounts = count(s, "SELECT count(*) FROM " + LINES + " AND f.amount IS DISTINCT FROM "
                        + OLD_AMOUNT.replace("quantity", "r.quantity").replace("unit_price", "r.unit_price")
                                .replace("discount_pct", "r.discount_pct"));
                long newAmounts = count(s, "SELECT count(*) FROM " + LINES + " AND f.amount IS DISTINCT FROM "
                        + NEW_AMOUNT.replace("quantity", "r.quantity").replace("unit_price", "r.unit_price"));
                if (oldAmounts > 0 && newAmounts > 0) {
                    violations.add("fact_order_line.amount: " + oldAmounts + " line(s) differ from the old "
                            + "expression and " + newAmounts + " from the new one in one snapshot");
                } else if (oldAmounts > 0 || newAmounts > 0) {
                    amounts.add(oldAmounts == 0 ? "old" : "new");
                }
                if (lineColumns.contains("price_each")) {
                    check(s, "fact_order_line.price_each", "SELECT count(*) FROM " + LINES
                            + " AND f.price_each IS DISTINCT FROM r.unit_price");
                }
                if (columns(s, "dim_customer").contains("domain")) {
                    check(s, "dim_customer.domain", "SELECT count(*) FROM shop_dw.dim_customer d JOIN "
                            + "shop_dw_raw.customers r USING (id) WHERE d.is_current AND NOT r._deleted AND "
                            + "r.email IS NOT NULL AND coalesce(r.segment, 'standard') IN ('standard', 'gold', "
                            + "'platinum') AND d.domain IS DISTINCT FROM split_part(r.email, '@', 2)");
                }
                if (tables.contains("shop_dw.fact_order")) {
                    check(s, "fact_order", "SELECT count(*) FROM shop_dw_raw.orders r LEFT JOIN shop_dw.fact_order "
                            + "f USING (id) WHERE NOT r._deleted AND f.total IS DISTINCT FROM r.total");
                }
                if (columns(s, "dim_product").contains("is_current")) {
                    check(s, "dim_product current versions", "SELECT count(*) FROM (SELECT id FROM "
                            + "shop_dw.dim_product WHERE id IS NOT NULL GROUP BY id HAVING count(*) FILTER (WHERE "
                            + "is_current) <> 1) k");
                }
            } finally {
                c.commit();
            }
        }

        private void check(Statement s, String what, String differing) throws SQLException {
            long rows = count(s, differing);
            if (rows > 0) {
                violations.add(what + ": " + rows + " row(s) not of the version the snapshot has");
            }
        }

        private static List<String> columns(Statement s, String table) throws SQLException {
            List<String> columns = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('"
                    + "shop_dw." + table + "') AND attnum > 0 AND NOT attisdropped")) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
            return columns;
        }

        private static long count(Statement s, String sql) throws SQLException {
            try (ResultSet rs = s.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
