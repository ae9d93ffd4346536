package dev.lockstep.runtime;

import static dev.lockstep.warehouse.testing.TestStar.customer;
import static dev.lockstep.warehouse.testing.TestStar.item;
import static dev.lockstep.warehouse.testing.TestStar.order;
import static dev.lockstep.warehouse.testing.TestStar.product;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.migrations.DeploymentState;
import dev.lockstep.warehouse.testing.TestStar;
import dev.lockstep.warehouse.testing.TestWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lockstep deploy} of changed definitions on a loaded warehouse: each is a new version whose columns are
 * rebuilt from the raw layer into shadow columns and switched into place; the applier then loads with it; a
 * deploy stopped at any step (a fail-point that throws as a crash would stop it) leaves its state recorded, blocks
 * other deployments (run loads with the version before it), and resumes when deployed again.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeployerIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "deployit";
    static final Instant T = Instant.parse("2026-06-01T10:00:00Z");

    @TempDir
    static Path dir;

    /** A new fact: the quantity of each order line, by product and day, partitioned by month. */
    static final String SALE = "  sale:\n    from: public.order_items\n    grain: [id]\n    lookup:\n"
            + "      ord: { from: public.orders, on: order_id }\n    dimensions:\n      product: product_id\n"
            + "      date: ord.created_at\n    measures:\n      quantity: quantity\n    partition_by: date\n";

    static Path file;
    static String first;
    static ChangeEnvelopes envelopes;
    static KafkaSchemaStore store;

    /** What a crash at a fail-point does to the deploy: it stops there, nothing after it runs. */
    static final class Crash extends Error {
        Crash(Deployer.Step step) {
            super("crash at " + step);
        }
    }

    @BeforeAll
    static void loadVersionOne() throws Exception {
        TestStar.createSourceTables(services, "dsrc");
        services.database("ddw");
        file = TestStar.definition(dir, services, PIPELINE, "dsrc", "ddw", "star_dw");
        first = Files.readString(file);
        WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
        envelopes = ChangeEnvelopes.open(services.bootstrapServers(), PIPELINE, deployment.tables());
        store = KafkaSchemaStore.open(services.bootstrapServers());
        envelopes.snapshot(Map.of(
                "public.customers", List.of(customer(1, "A", "a@x.org", "Oslo"), customer(2, "B", "b@y.org", "Rome")),
                "public.categories", List.of(Map.of("id", 7, "name", "Tools")),
                "public.products", List.of(product(10, "Saw", 7, "5.00")),
                "public.orders", List.of(order(100, 1, "2026-01-10T10:00:00Z", "10.00")),
                "public.order_items", List.of(item(1000, 100, 10, 2, "5.00", 1))));
        envelopes.begin(T).update("public.customers", customer(1, "A", "a@x.org", "Paris")).commit();
        TestWarehouse.applyAll(services, "ddw", PIPELINE, deployment.star(), store);
        assertThat(query("SELECT count(*) FROM star_dw.dim_customer WHERE id = 1")).containsExactly("2");
    }

    @AfterAll
    static void close() {
        envelopes.close();
        store.close();
    }

    @Test
    @Order(1)
    void shouldRebuildAddedChangedAndRenamedColumnsFromTheRawLayerAndSwitchThemIntoPlace() throws Exception {
        Files.writeString(file, first
                .replace("      city: coalesce(city, 'Unknown')\n", "      city: coalesce(city, 'Unknown')\n"
                        + "      domain: split_part(email, '@', 2)\n")
                .replace("amount: quantity * unit_price", "amount: quantity * unit_price * 2")
                .replace("      total: total\n", "      order_total: total\n    renamed_from: { order_total: total }\n"));

        Deployer.Outcome outcome = Deployer.deploy(file, Deployer.Options.of("it"));

        assertThat(outcome.version()).isEqualTo(2);
        assertThat(outcome.state()).as("drops wait for --contract").isEqualTo(DeploymentState.SWITCHED);
        assertThat(outcome.pendingContract()).anySatisfy(s -> assertThat(s).contains("DROP COLUMN \"total\""));
        // The new attribute: current versions derived from the raw layer, the historical one NULL.
        assertThat(query("SELECT id || ' ' || city || ' ' || coalesce(domain, 'NULL') FROM star_dw.dim_customer "
                + "WHERE customer_key <> -1 ORDER BY id, valid_from")).containsExactly("1 Oslo NULL", "1 Paris x.org",
                "2 Rome y.org");
        // The changed measure has its new values, the old ones kept aside until contract.
        assertThat(query("SELECT amount || ' ' || _ls_prev_amount FROM star_dw.fact_order_line"))
                .containsExactly("20.00 10.00");
        assertThat(query("SELECT order_total || ' ' || total FROM star_dw.fact_order")).containsExactly("10.00 10.00");
        assertThat(query("SELECT column_name FROM information_schema.columns WHERE table_schema = 'star_dw' AND "
                + "column_name LIKE '\\_ls\\_next\\_%'")).as("no shadow column is left").isEmpty();
        assertThat(query("SELECT state || ' ' || coalesce(operator, '-') || ' ' || coalesce((switch_lsn = (SELECT "
                + "commit_lsn FROM lockstep.offsets WHERE pipeline = 'deployit'))::text, '-') FROM lockstep.deployments "
                + "WHERE pipeline = 'deployit' ORDER BY version")).containsExactly("done - -", "switched it true");

        // run loads with version 2 from the switch on.
        WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
        assertThat(deployment.version()).isEqualTo(2);
        envelopes.begin(T.plusSeconds(10)).insert("public.customers", customer(3, "C", "c@z.org", "Oslo"))
                .insert("public.order_items", item(1001, 100, 10, 3, "1.00", 1)).commit();
        TestWarehouse.applyAll(services, "ddw", services.user(), PIPELINE, deployment.star(), store, 2);
        assertThat(query("SELECT domain FROM star_dw.dim_customer WHERE id = 3")).containsExactly("z.org");
        assertThat(query("SELECT amount FROM star_dw.fact_order_line WHERE id = 1001")).containsExactly("6.00");
        assertThat(query("SELECT definition_version FROM lockstep.offsets WHERE pipeline = 'deployit'"))
                .containsExactly("2");

        // Deployed again with --contract: the replaced and renamed columns go; a crash there resumes.
        assertThatThrownBy(() -> Deployer.deploy(file, Deployer.Options.of("it").withContract().withFailPoint(at -> {
            if (at == Deployer.Step.CONTRACT) {
                throw new Crash(at);
            }
        }))).isInstanceOf(Crash.class);
        assertThat(query("SELECT state FROM lockstep.deployments WHERE pipeline = 'deployit' AND version = 2"))
                .containsExactly("contracting");
        Deployer.Outcome contracted = Deployer.deploy(file, Deployer.Options.of("it"));
        assertThat(contracted.state()).isEqualTo(DeploymentState.DONE);
        assertThat(query("SELECT column_name FROM information_schema.columns WHERE table_schema = 'star_dw' AND "
                + "table_name IN ('fact_order', 'fact_order_line') AND column_name IN ('total', '_ls_prev_amount')"))
                .isEmpty();
    }

    @Test
    @Order(2)
    void shouldResumeADeployStoppedAtAnyStepAndRefuseRunAndOtherDeploymentsMeanwhile() throws Exception {
        String deployed = Files.readString(file);
        String measures = "      order_total: total\n";
        int n = 0;
        for (Deployer.Step step : List.of(Deployer.Step.EXPAND, Deployer.Step.REBUILD, Deployer.Step.SWITCH)) {
            n++;
            String next = deployed.replace(measures, measures + "      total_x" + n + ": total * " + n + "\n");
            Files.writeString(file, next);
            assertThatThrownBy(() -> Deployer.deploy(file, Deployer.Options.of("it").withFailPoint(at -> {
                if (at == step) {
                    throw new Crash(at);
                }
            }))).isInstanceOf(Crash.class);
            String state = step == Deployer.Step.EXPAND ? "expanding" : "rebuilding";
            assertThat(query("SELECT state FROM lockstep.deployments WHERE pipeline = 'deployit' ORDER BY version "
                    + "DESC LIMIT 1")).as("state at a crash at " + step).containsExactly(state);
            assertThat(WarehouseDeployment.deploy(file).version()).as("run while the deployment is under way loads "
                    + "with the version before it (its applier carries the deployment on)").isEqualTo(n + 1);
            Files.writeString(file, next.replace("total * " + n, "total * 100"));
            assertThatThrownBy(() -> Deployer.deploy(file, Deployer.Options.of("it")))
                    .as("another definition while one is under way").isInstanceOf(LockstepException.class)
                    .satisfies(e -> assertThat(((LockstepException) e).code()).isEqualTo(ErrorCode.PIPELINE_STOPPED))
                    .hasMessageContaining("is under way (" + state + ")");
            Files.writeString(file, next);
            if (step == Deployer.Step.REBUILD) {
                // Before the crash a batch wrote the row's shadow column and marked it; after the crash the row
                // changed while no shadow columns were written: the resumed rebuild must derive it again.
                String shadow = query("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                        + "'star_dw' AND table_name = 'fact_order' AND column_name LIKE '\\_ls\\_next\\_%'").get(0);
                assertThat(query("WITH u AS (UPDATE star_dw.fact_order SET " + shadow + " = -1, _ls_touched = true "
                        + "RETURNING 1) SELECT count(*) FROM u")).containsExactly("1");
            }

            Deployer.Outcome resumed = Deployer.deploy(file, Deployer.Options.of("it"));

            assertThat(resumed.state()).as("resumed after a crash at " + step).isEqualTo(DeploymentState.DONE);
            assertThat(query("SELECT total_x" + n + " FROM star_dw.fact_order")).containsExactly(n * 10 + ".00");
            deployed = next;
            measures = measures + "      total_x" + n + ": total * " + n + "\n";
        }
        assertThat(query("SELECT string_agg(version || ' ' || state, ', ' ORDER BY version) FROM "
                + "lockstep.deployments WHERE pipeline = 'deployit'")).containsExactly("1 done, 2 done, 3 done, "
                + "4 done, 5 done");
    }

    @Test
    @Order(3)
    void shouldCancelADeploymentBeforeItsSwitchAndRollBackToAnOlderVersionFromTheRawLayer() throws Exception {
        String deployed = Files.readString(file);
        Files.writeString(file, deployed.replace("      order_total: total\n", "      order_total: total\n"
                + "      total_x9: total * 9\n"));
        assertThatThrownBy(() -> Deployer.deploy(file, Deployer.Options.of("it").withFailPoint(at -> {
            if (at == Deployer.Step.REBUILD) {
                throw new Crash(at);
            }
        }))).isInstanceOf(Crash.class);
        assertThat(query("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'star_dw' AND "
                + "column_name = '_ls_next_total_x9'")).containsExactly("1");

        Deployer.Outcome cancelled = Rollback.rollBack(file, Deployer.Options.of("it"), OptionalInt.empty(), false);

        assertThat(cancelled.state()).isEqualTo(DeploymentState.ROLLED_BACK);
        assertThat(query("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'star_dw' AND "
                + "column_name LIKE '%total_x9'")).as("the shadow column is gone").containsExactly("0");
        Files.writeString(file, deployed);
        assertThat(WarehouseDeployment.deploy(file).version()).as("run loads the version before").isEqualTo(5);

        // Back to version 1 from version 5: the changed measure derived again under version 1, the renamed one back
        // under its old name, the added attribute and measures dropped (the SCD 2 attribute's history kept aside).
        Deployer.Outcome rolledBack = Rollback.rollBack(file, Deployer.Options.of("it").withContract(),
                OptionalInt.of(1), false);

        assertThat(rolledBack.state()).isEqualTo(DeploymentState.DONE);
        assertThat(rolledBack.version()).isEqualTo(7);
        assertThat(query("SELECT id || ' ' || amount FROM star_dw.fact_order_line ORDER BY id"))
                .containsExactly("1000 10.00", "1001 3.00");
        assertThat(query("SELECT total FROM star_dw.fact_order")).containsExactly("10.00");
        assertThat(query("SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns "
                + "WHERE table_schema = 'star_dw' AND (column_name LIKE '%total_x%' OR column_name IN ('domain', "
                + "'order_total') OR column_name LIKE '\\_ls\\_%')")).containsExactly((String) null);
        assertThat(query("SELECT count(*) FROM star_dw_retired.dim_customer__domain")).containsExactly("1");
        assertThat(query("SELECT definition FROM lockstep.deployments WHERE pipeline = 'deployit' AND version = 7"))
                .containsExactly(first);
        assertThat(query("SELECT version || ' ' || state FROM lockstep.deployments WHERE pipeline = 'deployit' AND "
                + "version >= 6 ORDER BY version")).containsExactly("6 rolled_back", "7 done");
    }

    @Test
    @Order(4)
    void shouldTurnAnScd1DimensionIntoScd2WithHistoryFromTheSwitchOn() throws Exception {
        Files.writeString(file, first.replace("    scd: 1\n", "    scd: 2\n    tracked: [list_price]\n")
                .replace("    tracked: [city]\n", "    tracked: [city, name]\n"));
        String factKey = "SELECT product_key FROM star_dw.fact_order_line WHERE id = 1000";
        List<String> keyBefore = query(factKey);

        Deployer.Outcome outcome = Deployer.deploy(file, Deployer.Options.of("it"));

        assertThat(outcome.state()).as("nothing to drop: %s", outcome.pendingContract())
                .isEqualTo(DeploymentState.DONE);
        assertThat(query("SELECT id || ' ' || valid_from || ' ' || valid_to || ' ' || is_current FROM "
                + "star_dw.dim_product WHERE product_key <> -1")).as("the member's row is its first version")
                .containsExactly("10 -infinity infinity true");
        WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
        envelopes.begin(T.plusSeconds(20)).update("public.products", product(10, "Saw", 7, "6.00"))
                .update("public.customers", customer(2, "Bea", "b@y.org", "Rome")).commit();
        envelopes.begin(T.plusSeconds(30)).insert("public.order_items", item(1002, 100, 10, 1, "6.00", 1)).commit();
        TestWarehouse.applyAll(services, "ddw", services.user(), PIPELINE, deployment.star(), store,
                deployment.version());

        assertThat(query("SELECT list_price || ' ' || is_current FROM star_dw.dim_product WHERE id = 10 ORDER BY "
                + "valid_from")).as("history starts at the switch").containsExactly("5.00 false", "6.00 true");
        assertThat(query(factKey)).as("a fact loaded before keeps its version").isEqualTo(keyBefore);
        assertThat(query("SELECT p.list_price FROM star_dw.fact_order_line f JOIN star_dw.dim_product p USING "
                + "(product_key) WHERE f.id = 1002")).containsExactly("6.00");
        assertThat(query("SELECT name FROM star_dw.dim_customer WHERE id = 2 ORDER BY valid_from"))
                .as("a newly tracked column cuts versions").containsExactly("B", "Bea");
    }

    @Test
    @Order(5)
    void shouldLoadANewPartitionedFactFromTheRawLayerAndSwitchItIntoPlace() throws Exception {
        String deployed = Files.readString(file);
        Files.writeString(file, deployed.replace("facts:\n", "facts:\n" + SALE));

        Deployer.Outcome outcome = Deployer.deploy(file, Deployer.Options.of("it").withChunkSize(2));

        assertThat(outcome.state()).isEqualTo(DeploymentState.DONE);
        assertThat(outcome.rebuiltRows()).isEqualTo(3);
        String sales = "SELECT s.id || ' ' || s.quantity || ' ' || p.list_price || ' ' || s.date_key FROM "
                + "star_dw.fact_sale s JOIN star_dw.dim_product p USING (product_key) ORDER BY s.id";
        assertThat(query(sales)).as("each line at the product version valid when the raw layer loaded it")
                .containsExactly("1000 2 6.00 20260110", "1001 3 6.00 20260110", "1002 1 6.00 20260110");
        assertThat(query("SELECT count(*) FROM pg_class WHERE relname LIKE '\\_ls\\_next\\_%'"))
                .as("the shadow table and its partitions took the fact's names").containsExactly("0");

        // run loads the fact from the switch on, into the partitions the backfill created.
        WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
        envelopes.begin(T.plusSeconds(40)).insert("public.order_items", item(1003, 100, 10, 4, "6.00", 1)).commit();
        TestWarehouse.applyAll(services, "ddw", services.user(), PIPELINE, deployment.star(), store,
                deployment.version());
        assertThat(query(sales)).contains("1003 4 6.00 20260110").hasSize(4);
    }

    @Test
    @Order(6)
    void shouldDropAFactADimensionAndTheReferencesToItAtAContractAnHourAfterTheSwitch() throws Exception {
        String deployed = Files.readString(file);
        String next = deployed.replace(SALE, "").replace("      product: product_id\n", "");
        Files.writeString(file, next.substring(0, next.indexOf("  product:\n")) + next.substring(next.indexOf(
                "  date:\n")));

        Deployer.Outcome switched = Deployer.deploy(file, Deployer.Options.of("it")
                .withContractAfter(Duration.ofHours(1)));

        assertThat(switched.state()).as("drops wait for --contract, or an hour").isEqualTo(DeploymentState.SWITCHED);
        assertThat(switched.pendingContract()).containsSubsequence(
                "ALTER TABLE \"star_dw\".\"fact_order_line\" DROP COLUMN \"product_key\";",
                "DROP TABLE \"star_dw\".\"dim_product\";");
        WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
        envelopes.begin(T.plusSeconds(50)).insert("public.order_items", item(1004, 100, 10, 5, "6.00", 1)).commit();
        TestWarehouse.applyAll(services, "ddw", services.user(), PIPELINE, deployment.star(), store,
                deployment.version());
        assertThat(query("SELECT product_key FROM star_dw.fact_order_line WHERE id = 1004"))
                .as("until the contract, the dropped reference's column holds the unknown member").containsExactly("-1");

        assertThat(Deployer.deploy(file, Deployer.Options.of("it")).state()).as("within the hour")
                .isEqualTo(DeploymentState.SWITCHED);
        services.execute("ddw", "UPDATE lockstep.deployments SET switched_at = switched_at - interval '61 minutes' "
                + "WHERE pipeline = 'deployit' AND state = 'switched'"); // an hour went by

        Deployer.Outcome contracted = Deployer.deploy(file, Deployer.Options.of("it"));

        assertThat(contracted.state()).as("the delay passed").isEqualTo(DeploymentState.DONE);
        assertThat(query("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables "
                + "WHERE table_schema = 'star_dw' AND table_name IN ('fact_sale', 'dim_product')"))
                .containsExactly((String) null);
        assertThat(query("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'star_dw' AND "
                + "table_name = 'fact_order_line' AND column_name = 'product_key'")).containsExactly("0");
        assertThat(query("SELECT quantity FROM star_dw.fact_order_line WHERE id = 1004")).containsExactly("5");
    }

    @Test
    @Order(7)
    void shouldMaskANewPiiColumnInTheLedgerAndRebuildInTheDefinitionsTimeZone() throws Exception {
        services.execute("ddw", "INSERT INTO lockstep.quarantine (pipeline, cause, rule, target, natural_key, "
                + "commit_lsn, sequence, definition_version, reason, conformed_row) VALUES ('deployit', 'rule', "
                + "'r', 'customer', '{\"id\": 2}', 1, 1, 1, 'a reason', '{\"id\": 2, \"name\": \"Bea\", "
                + "\"email\": \"***\", \"city\": null}')");
        // With a measure whose value depends on the definition's time zone (Europe/Paris), rebuilt in it.
        Files.writeString(file, Files.readString(file).replace("    pii: [email]\n", "    pii: [email, name]\n")
                .replace("      total: total\n", "      total: total\n      created_hour: extract(hour from created_at)\n"));

        assertThat(Deployer.deploy(file, Deployer.Options.of("it")).state()).isEqualTo(DeploymentState.DONE);
        assertThat(query("SELECT created_hour FROM star_dw.fact_order")).as("10:00 UTC in January, in Paris")
                .containsExactly("11");

        assertThat(query("SELECT conformed_row::text FROM lockstep.quarantine WHERE pipeline = 'deployit'"))
                .containsExactly("{\"id\": 2, \"city\": null, \"name\": \"***\", \"email\": \"***\"}");
    }

    @Test
    @Order(8)
    void shouldBuildANewLookupsAndRulesIndexesConcurrentlyAndBuildAgainOneAKilledBuildLeftInvalid() throws Exception {
        // A build killed half way leaves an invalid index under the name; this one fails as a killed one would.
        assertThatThrownBy(() -> services.execute("ddw", "CREATE INDEX CONCURRENTLY orders_customer_id_idx ON "
                + "star_dw_raw.orders ((1 / (customer_id - customer_id)))")).hasMessageContaining("division by zero");
        assertThat(query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'star_dw_raw.orders_customer_id_idx'"
                + "::regclass")).containsExactly("f");
        Files.writeString(file, Files.readString(file)
                .replace("  order:\n    from: public.orders\n    grain: [id]\n", "  order:\n    from: public.orders\n"
                        + "    grain: [id]\n    lookup:\n      buyer: { from: public.customers, on: customer_id }\n")
                .replace("      total: total\n", "      total: total\n      buyer_city: buyer.city\n")
                + "quality:\n  - { rule: unique, target: customer, columns: [email] }\n");

        assertThat(Deployer.deploy(file, Deployer.Options.of("it")).state()).isEqualTo(DeploymentState.DONE);

        assertThat(query("SELECT indisvalid || ' ' || pg_get_indexdef(indexrelid) FROM pg_index WHERE indexrelid = "
                + "'star_dw_raw.orders_customer_id_idx'::regclass")).containsExactly("true CREATE INDEX "
                + "orders_customer_id_idx ON star_dw_raw.orders USING btree (customer_id)");
        assertThat(query("SELECT indisvalid || ' ' || (indpred IS NOT NULL) FROM pg_index x JOIN pg_class i ON i.oid "
                + "= x.indexrelid WHERE i.relname LIKE 'lockstep\\_rule\\_%' AND x.indrelid = "
                + "'star_dw.dim_customer'::regclass")).as("the unique rule's index, over current rows")
                .containsExactly("true true");
        assertThat(query("SELECT buyer_city FROM star_dw.fact_order WHERE id = 100")).containsExactly("Paris");
    }

    @Test
    @Order(9)
    void shouldResolveANewReferenceForTheRowsAlreadyLoadedAndAddTheDaysOfAWiderDateRange() throws Exception {
        String deployed = Files.readString(file);
        Files.writeString(file, deployed.replace("    dimensions:\n      customer: customer_id\n",
                "    dimensions:\n      customer: customer_id\n      buyer: { dimension: customer, key: buyer.id }\n")
                .replace("to: 2030-12-31", "to: 2031-12-31"));
        assertThat(deployed).contains("to: 2030-12-31");
        assertThat(query("SELECT count(*) FROM star_dw.dim_date WHERE date > '2030-12-31'")).containsExactly("0");

        Deployer.Outcome outcome = Deployer.deploy(file, Deployer.Options.of("it"));

        assertThat(outcome.state()).isEqualTo(DeploymentState.DONE);
        // Customer 1's version as of when the raw layer loaded the order (after its move to Paris).
        assertThat(query("SELECT d.id || ' ' || d.city FROM star_dw.fact_order f JOIN star_dw.dim_customer d ON "
                + "d.customer_key = f.buyer_key WHERE f.id = 100")).containsExactly("1 Paris");
        assertThat(query("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'star_dw' AND "
                + "column_name LIKE '\\_ls\\_next\\_%'")).containsExactly("0");
        assertThat(query("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'star_dw' AND "
                + "column_name = '_ls_touched'")).as("the switch dropped the mark of rows batches wrote").containsExactly("0");
        assertThat(query("SELECT count(*) FROM star_dw.dim_date WHERE date BETWEEN '2031-01-01' AND '2031-12-31'"))
                .containsExactly("365");
    }

    @Test
    @Order(10)
    void shouldAddADimensionAndADateReferenceResolveAChangedReferenceAgainAndDeleteWhatASoftDeleteKept()
            throws Exception {
        WarehouseDeployment deployed = WarehouseDeployment.deploy(file);
        envelopes.begin(T.plusSeconds(60)).insert("public.orders", order(101, 2, "2026-02-03T23:30:00Z", "7.00"))
                .commit();
        TestWarehouse.applyAll(services, "ddw", services.user(), PIPELINE, deployed.star(), store,
                deployed.version());
        envelopes.begin(T.plusSeconds(61)).delete("public.orders", Map.of("id", 101)).commit();
        TestWarehouse.applyAll(services, "ddw", services.user(), PIPELINE, deployed.star(), store,
                deployed.version());
        assertThat(query("SELECT is_deleted FROM star_dw.fact_order WHERE id = 101")).as("on_delete: soft")
                .containsExactly("t");
        Files.writeString(file, Files.readString(file)
                .replace("  date:\n    generated:", "  category:\n    from: public.categories\n    key: id\n"
                        + "    scd: 2\n    columns:\n      label: upper(name)\n  date:\n    generated:")
                .replace("      buyer: { dimension: customer, key: buyer.id }\n", "      buyer: { dimension: customer, "
                        + "key: customer_id + 1 }\n      shipped: { dimension: date, key: created_at + interval "
                        + "'2 days' }\n")
                .replace("  order:\n    from: public.orders\n", "  order:\n    from: public.orders\n"
                        + "    on_delete: hard\n")
                .replace("facts:\n", "facts:\n  priced:\n    from: public.products\n    grain: [id]\n"
                        + "    dimensions:\n      category: category_id\n    measures:\n      price: price\n"));

        Deployer.Outcome outcome = Deployer.deploy(file, Deployer.Options.of("it").withContract().withChunkSize(1));

        assertThat(outcome.state()).isEqualTo(DeploymentState.DONE);
        assertThat(query("SELECT category_key || ' ' || coalesce(id::text, '-') || ' ' || coalesce(label, '-') || ' '"
                + " || is_current FROM star_dw.dim_category ORDER BY category_key"))
                .as("the new dimension: its unknown member, then the raw layer's current rows")
                .containsExactly("-1 - - true", "1 7 TOOLS true");
        String priced = "SELECT f.id || ' ' || f.price || ' ' || c.label FROM star_dw.fact_priced f JOIN "
                + "star_dw.dim_category c USING (category_key) ORDER BY f.id";
        assertThat(query(priced)).as("a new fact referring to the new dimension, loaded after it")
                .containsExactly("10 6.00 TOOLS");
        assertThat(query("SELECT f.shipped_key || ' ' || d.id FROM star_dw.fact_order f JOIN star_dw.dim_customer d "
                + "ON d.customer_key = f.buyer_key WHERE f.id = 100"))
                .as("10:00 UTC on 10 January, two days later in Paris; the buyer is the customer after 1")
                .containsExactly("20260112 2");
        assertThat(query("SELECT count(*) FROM star_dw.fact_order WHERE id = 101")).as("deleted at contract")
                .containsExactly("0");
        assertThat(query("SELECT id || ' ' || is_deleted FROM star_dw_retired.fact_order__deleted"))
                .as("kept first").containsExactly("101 true");
        assertThat(query("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'star_dw' AND "
                + "column_name LIKE '\\_ls\\_%'")).as("no shadow or replaced column is left").containsExactly("0");

        // run loads the new dimension and the new reference, and deletes a deleted order's fact row.
        WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
        envelopes.begin(T.plusSeconds(70)).insert("public.categories", Map.of("id", 8, "name", "Glue"))
                .insert("public.products", product(11, "Glue gun", 8, "9.00"))
                .insert("public.orders", order(102, 1, "2026-03-01T12:00:00Z", "3.00")).commit();
        envelopes.begin(T.plusSeconds(71)).delete("public.orders", Map.of("id", 100)).commit();
        TestWarehouse.applyAll(services, "ddw", services.user(), PIPELINE, deployment.star(), store,
                deployment.version());
        assertThat(query("SELECT label FROM star_dw.dim_category WHERE id = 8")).containsExactly("GLUE");
        assertThat(query(priced)).containsExactly("10 6.00 TOOLS", "11 9.00 GLUE");
        assertThat(query("SELECT id || ' ' || shipped_key FROM star_dw.fact_order ORDER BY id"))
                .as("on_delete: hard").containsExactly("102 20260303");
    }

    @Test
    @Order(11)
    void shouldTurnAnScd2DimensionIntoScd1RepointingFactsAtTheCurrentVersionsAndRetiringTheOthers() throws Exception {
        // A line loaded before its customer moved points at the version it was loaded with.
        WarehouseDeployment before = WarehouseDeployment.deploy(file);
        envelopes.begin(T.plusSeconds(75)).insert("public.order_items", item(1005, 102, 10, 1, "2.00", 1)).commit();
        TestWarehouse.applyAll(services, "ddw", services.user(), PIPELINE, before.star(), store, before.version());
        envelopes.begin(T.plusSeconds(76)).update("public.customers", customer(1, "A", "a@x.org", "Nice")).commit();
        TestWarehouse.applyAll(services, "ddw", services.user(), PIPELINE, before.star(), store, before.version());
        String deployed = Files.readString(file);
        String customer = "  customer:\n    from: public.customers\n    key: id\n    scd: 2\n";
        assertThat(deployed).contains(customer, "    tracked: [city, name]\n");
        Files.writeString(file, deployed.replace(customer, customer.replace("scd: 2", "scd: 1"))
                .replace("    tracked: [city, name]\n", ""));
        List<String> older = query("SELECT count(*) FROM star_dw.dim_customer WHERE NOT is_current");
        assertThat(older).as("customers 1 and 2 have history").containsExactly("3");
        String pointingAtOlder = "SELECT count(*) FROM star_dw.fact_order_line f JOIN star_dw.dim_customer d USING "
                + "(customer_key) WHERE NOT d.is_current";
        assertThat(query(pointingAtOlder)).as("a line points at an older version").isNotEqualTo(List.of("0"));

        Deployer.Outcome outcome = Deployer.deploy(file, Deployer.Options.of("it").withContract());

        assertThat(outcome.state()).isEqualTo(DeploymentState.DONE);
        assertThat(query("SELECT id || ' ' || city || ' ' || name FROM star_dw.dim_customer WHERE customer_key <> -1 "
                + "ORDER BY id")).as("each member's current version").containsExactly("1 Nice A", "2 Rome Bea",
                "3 Oslo C");
        for (String facts : List.of("fact_order_line f JOIN star_dw.dim_customer d USING (customer_key)",
                "fact_order f JOIN star_dw.dim_customer d ON d.customer_key = f.buyer_key")) {
            assertThat(query("SELECT count(*) FROM star_dw." + facts.replace(" JOIN ", " LEFT JOIN ")
                    + " WHERE d.customer_key IS NULL")).as("%s: no key left dangling", facts).containsExactly("0");
        }
        assertThat(query("SELECT d.id FROM star_dw.fact_order_line f JOIN star_dw.dim_customer d USING (customer_key) "
                + "WHERE f.id = 1005")).containsExactly("1");
        assertThat(query("SELECT count(*) FROM star_dw_retired.dim_customer__versions")).as("kept first")
                .isEqualTo(older);
        assertThat(query("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'star_dw' AND "
                + "table_name = 'dim_customer' AND column_name IN ('valid_from', 'valid_to', 'is_current')"))
                .as("dropped at contract").containsExactly("0");

        WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
        envelopes.begin(T.plusSeconds(80)).update("public.customers", customer(1, "A", "a@x.org", "Lyon")).commit();
        TestWarehouse.applyAll(services, "ddw", services.user(), PIPELINE, deployment.star(), store,
                deployment.version());
        assertThat(query("SELECT city FROM star_dw.dim_customer WHERE id = 1")).as("changed in place")
                .containsExactly("Lyon");
    }

    @Test
    @Order(12)
    void shouldNameTheVersionsARollbackToScd2CannotBringBackAndRollBackWhenForced() throws Exception {
        assertThatThrownBy(() -> Rollback.rollBack(file, Deployer.Options.of("it"), OptionalInt.empty(), false))
                .isInstanceOf(LockstepException.class)
                .hasMessageContaining("the versions of customer do not come back");

        Deployer.Outcome outcome = Rollback.rollBack(file, Deployer.Options.of("it").withContract(),
                OptionalInt.empty(), true);

        assertThat(outcome.state()).isEqualTo(DeploymentState.DONE);
        assertThat(query("SELECT id || ' ' || city || ' ' || valid_from || ' ' || is_current FROM star_dw.dim_customer "
                + "WHERE customer_key <> -1 ORDER BY id")).as("each member's row its first version again")
                .containsExactly("1 Lyon -infinity true", "2 Rome -infinity true", "3 Oslo -infinity true");
        assertThat(query("SELECT count(*) FROM star_dw_retired.dim_customer__versions")).as("still kept")
                .containsExactly("3");

        // SCD 1 again: this switch retires no version (each member has one), beside the copy the first one kept.
        String scd2 = Files.readString(file);
        String customer = "  customer:\n    from: public.customers\n    key: id\n    scd: 2\n";
        Files.writeString(file, scd2.replace(customer, customer.replace("scd: 2", "scd: 1"))
                .replace("    tracked: [city, name]\n", ""));
        assertThat(Deployer.deploy(file, Deployer.Options.of("it").withContract()).state())
                .isEqualTo(DeploymentState.DONE);
        assertThat(query("SELECT string_agg(c.relname || ' ' || c.reltuples::bigint, ', ' ORDER BY c.relname) FROM "
                + "pg_class c WHERE c.relnamespace = 'star_dw_retired'::regnamespace AND c.relname LIKE "
                + "'dim\\_customer\\_\\_versions%' AND c.relkind = 'r'")).singleElement().asString()
                .matches("dim_customer__versions -?[0-9]+, dim_customer__versions_[0-9]{20} -?[0-9]+");

        // Each retired table is stamped; one retired long ago goes at the next deploy once keep_retired is a day.
        String retired = "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'star_dw_retired'::regnamespace AND "
                + "c.relkind = 'r' AND obj_description(c.oid, 'pg_class') LIKE 'retired at %' ORDER BY 1";
        List<String> stamped = query(retired);
        assertThat(stamped).contains("fact_order__deleted", "dim_customer__versions");
        services.execute("ddw", "COMMENT ON TABLE star_dw_retired.fact_order__deleted IS 'retired at 2026-01-01 "
                + "00:00:00+00'");
        Files.writeString(file, Files.readString(file).replace("  schema: star_dw\n", "  schema: star_dw\n"
                + "  keep_retired: 1d\n"));

        assertThat(Deployer.deploy(file, Deployer.Options.of("it")).state()).isEqualTo(DeploymentState.DONE);

        assertThat(query(retired)).as("older than a day: dropped")
                .containsExactlyElementsOf(stamped.stream().filter(t -> !t.equals("fact_order__deleted")).toList());
    }

    private static List<String> query(String sql) throws Exception {
        return services.query("ddw", sql);
    }
}
