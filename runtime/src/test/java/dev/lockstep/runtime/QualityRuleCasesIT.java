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
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.quality.AggregateOutcome;
import dev.lockstep.warehouse.testing.TestStar;
import dev.lockstep.warehouse.testing.TestWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every rule kind with every {@code on_fail} it allows, table-driven over one input stream and one set of services:
 * each case deploys the test star schema with its one rule (its own pipeline and warehouse schema), applies the same
 * changes, and states which keys of its target loaded, which were quarantined (by rule), whether an alert is open
 * and whether the pipeline stopped. Aggregate rules are run as the alerting timer runs them.
 *
 * <p>The input: customers 1 Ada, 2 Bob without email, 3 "cy" (lower case), 4 Dee in Berlin, 5 Eve with Ada's email
 * in another case; order 100 of customer 1 with lines 1000 (3 × 10.00), 1001 (quantity 0), 1002 (product 99, which
 * never arrives) and 1003 (unit price -5.00).
 */
class QualityRuleCasesIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    private static final AtomicInteger PIPELINES = new AtomicInteger();
    private static final List<String> ALL_CUSTOMERS = List.of("1", "2", "3", "4", "5");
    private static final List<String> ALL_LINES = List.of("1000", "1001", "1002", "1003");

    /** What happens after the stream was applied, before the expectations are checked. */
    @FunctionalInterface
    interface Then {
        void run(Context context) throws Exception;
    }

    /** One case's pipeline and what it deployed. */
    record Context(String pipeline, String schema, WarehouseDeployment deployment) {
        QualityRule rule() {
            return deployment.definition().quality().get(0);
        }
    }

    /**
     * A named case: the rule (YAML flow mapping), its target's table and key, the keys expected loaded ({@code null}
     * when the pipeline stops: nothing of the failing batch), the expected quarantine rows ({@code "<key>"}), whether
     * the rule's alert is open, whether the pipeline stops, and what runs after the apply.
     */
    record Case(String name, String rule, String target, List<String> loaded, List<String> quarantined, boolean alert,
            boolean stops, Then then) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        Then nothing = c -> { };
        Then afterGrace = QualityRuleCasesIT::tickUntilGraceActed;
        return Stream.of(
                new Case("not_null, quarantine: the row is diverted",
                        "{ rule: not_null, target: customer, columns: [email], on_fail: quarantine }", "customer",
                        List.of("1", "3", "4", "5"), List.of("2"), true, false, nothing),
                new Case("not_null, warn: the row loads and the rule alerts",
                        "{ rule: not_null, target: customer, columns: [email], on_fail: warn }", "customer",
                        ALL_CUSTOMERS, List.of(), true, false, nothing),
                new Case("not_null, fail: the batch rolls back and the pipeline stops",
                        "{ rule: not_null, target: customer, columns: [email], on_fail: fail }", "customer",
                        null, List.of(), false, true, nothing),
                new Case("accepted_values, quarantine",
                        "{ rule: accepted_values, target: customer, columns: [city], values: [Paris], "
                                + "on_fail: quarantine }", "customer", List.of("1", "2", "3", "5"), List.of("4"), true,
                        false, nothing),
                new Case("accepted_values, warn",
                        "{ rule: accepted_values, target: customer, columns: [city], values: [Paris], on_fail: warn }",
                        "customer", ALL_CUSTOMERS, List.of(), true, false, nothing),
                new Case("range, quarantine",
                        "{ rule: range, target: order_line, columns: [quantity], min: 1, on_fail: quarantine }",
                        "order_line", List.of("1000", "1002", "1003"), List.of("1001"), true, false, nothing),
                new Case("range, fail",
                        "{ rule: range, target: order_line, columns: [quantity], min: 1, on_fail: fail }",
                        "order_line", null, List.of(), false, true, nothing),
                new Case("regex, quarantine",
                        "{ rule: regex, target: customer, columns: [name], pattern: '^[A-Z]', on_fail: quarantine }",
                        "customer", List.of("1", "2", "4", "5"), List.of("3"), true, false, nothing),
                new Case("regex, warn",
                        "{ rule: regex, target: customer, columns: [name], pattern: '^[A-Z]', on_fail: warn }",
                        "customer", ALL_CUSTOMERS, List.of(), true, false, nothing),
                new Case("expression, quarantine",
                        "{ rule: expression, name: amount_not_negative, target: order_line, check: amount >= 0, "
                                + "on_fail: quarantine }", "order_line", List.of("1000", "1001", "1002"),
                        List.of("1003"), true, false, nothing),
                new Case("expression, fail",
                        "{ rule: expression, name: amount_not_negative, target: order_line, check: amount >= 0, "
                                + "on_fail: fail }", "order_line", null, List.of(), false, true, nothing),
                new Case("unique, quarantine: every holder of a shared value in the batch is diverted",
                        "{ rule: unique, target: customer, columns: [email], on_fail: quarantine }", "customer",
                        List.of("2", "3", "4"), List.of("1", "5"), true, false, nothing),
                new Case("unique, deduplicate: the earliest holder keeps the value",
                        "{ rule: unique, target: customer, columns: [email], on_fail: deduplicate }", "customer",
                        List.of("1", "2", "3", "4"), List.of("5"), true, false, nothing),
                new Case("unique, warn",
                        "{ rule: unique, target: customer, columns: [email], on_fail: warn }", "customer",
                        ALL_CUSTOMERS, List.of(), true, false, nothing),
                new Case("references, unknown_member: facts re-pointed to -1 after the grace",
                        "{ rule: references, target: order_line, dimension: product, grace: 1s, "
                                + "on_fail: unknown_member }", "order_line", ALL_LINES, List.of(), true, false,
                        c -> {
                            afterGrace.run(c);
                            assertThat(dw("SELECT product_key::text FROM " + c.schema() + ".fact_order_line WHERE id = "
                                    + "1002")).containsExactly("-1");
                        }),
                new Case("references, quarantine: facts of a member still inferred move to quarantine",
                        "{ rule: references, target: order_line, dimension: product, grace: 1s, "
                                + "on_fail: quarantine }", "order_line", List.of("1000", "1001", "1003"),
                        List.of("1002"), true, false, afterGrace),
                new Case("references, warn: the inferred member stays and the rule alerts",
                        "{ rule: references, target: order_line, dimension: product, grace: 1s, on_fail: warn }",
                        "order_line", ALL_LINES, List.of(), true, false, afterGrace),
                new Case("references, fail: the pipeline stops once the grace passed",
                        "{ rule: references, target: order_line, dimension: product, grace: 1s, on_fail: fail }",
                        "order_line", ALL_LINES, List.of(), false, false, c -> assertThatThrownBy(() ->
                                TestWarehouse.checkReferencesUntil(services, "qdw", c.pipeline(),
                                        c.deployment().star(), () -> false))
                                .isInstanceOf(LockstepException.class)
                                .hasMessageContaining("quality rule " + c.rule().name() + " (on_fail: fail)")),
                new Case("completeness, warn: below the threshold alerts and drops nothing",
                        "{ rule: completeness, target: customer, columns: [email], threshold: 90%, on_fail: warn }",
                        "customer", ALL_CUSTOMERS, List.of(), true, false, c -> assertThat(aggregate(c).observed())
                                .contains("80% of 5 row(s)")),
                new Case("completeness, fail: below the threshold stops the pipeline",
                        "{ rule: completeness, target: customer, columns: [email], threshold: 90%, on_fail: fail }",
                        "customer", ALL_CUSTOMERS, List.of(), true, false, c -> assertThatThrownBy(() -> aggregate(c))
                                .isInstanceOf(LockstepException.class).hasMessageContaining("beyond its threshold")),
                new Case("freshness, warn: unapplied changes older than max_lag alert, applying them resolves",
                        "{ rule: freshness, target: order_line, max_lag: 1s, on_fail: warn }", "order_line",
                        ALL_LINES, List.of(), false, false, QualityRuleCasesIT::freshnessBreachesThenResolves),
                new Case("reconciliation, warn: a source order missing in the warehouse alerts, loading it resolves",
                        "{ rule: reconciliation, target: order, sums: [total], on_fail: warn }", "order",
                        List.of("100", "101"), List.of(), false, false, QualityRuleCasesIT::reconciliationResolves),
                new Case("reconciliation, fail: the pipeline stops on a mismatch",
                        "{ rule: reconciliation, target: order, sums: [total], on_fail: fail }", "order",
                        List.of("100"), List.of(), true, false, c -> assertThatThrownBy(() -> aggregate(c))
                                .isInstanceOf(LockstepException.class).hasMessageContaining("rows 1 vs 2 in the source")))
                .map(Arguments::of);
    }

    @BeforeAll
    static void sourceAndWarehouse() throws Exception {
        TestStar.createSourceTables(services, "qsrc");
        services.database("qdw");
        // The source as reconciliation sees it: two orders; the stream carries only the first at first.
        services.execute("qsrc", "INSERT INTO orders VALUES (100, 1, '2026-05-01 09:00:00+00', 30.00), "
                + "(101, 1, '2026-05-01 09:30:00+00', 12.00)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldTakeTheRulesAction(Case c, @TempDir Path dir) throws Exception {
        String pipeline = "q" + PIPELINES.incrementAndGet();
        String schema = pipeline + "_dw";
        Path file = TestStar.definition(dir, services, pipeline, "qsrc", "qdw", schema);
        Files.writeString(file, Files.readString(file) + "quality:\n  - " + c.rule() + "\n");
        WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
        Context context = new Context(pipeline, schema, deployment);

        Instant t0 = Instant.parse("2026-05-01T10:00:00Z");
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), pipeline,
                deployment.tables()); KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            Map<String, List<Map<String, Object>>> snapshot = new LinkedHashMap<>();
            snapshot.put("public.customers", List.of(customer(1, "Ada", "ada@x.org", "Paris"),
                    customer(2, "Bob", null, "Paris"), customer(3, "cy", "cy@x.org", "Paris"),
                    customer(4, "Dee", "dee@x.org", "Berlin"), customer(5, "Eve", "ADA@x.org", "Paris")));
            snapshot.put("public.products", List.of(product(10, "Pen", 1, "10.00")));
            envelopes.snapshot(snapshot);
            envelopes.begin(t0).insert("public.orders", order(100, 1, "2026-05-01T09:00:00Z", "30.00"))
                    .insert("public.order_items", item(1000, 100, 10, 3, "10.00", 1))
                    .insert("public.order_items", item(1001, 100, 10, 0, "10.00", 1))
                    .insert("public.order_items", item(1002, 100, 99, 1, "1.00", 1))
                    .insert("public.order_items", item(1003, 100, 10, 1, "-5.00", 1)).commit();
            if (c.stops()) {
                assertThatThrownBy(() -> TestWarehouse.applyAll(services, "qdw", pipeline, deployment.star(), store))
                        .isInstanceOf(LockstepException.class)
                        .satisfies(e -> assertThat(((LockstepException) e).code()).isEqualTo(ErrorCode.PIPELINE_STOPPED))
                        .hasMessageContaining("quality rule " + context.rule().name() + " (on_fail: fail)");
            } else {
                TestWarehouse.applyAll(services, "qdw", pipeline, deployment.star(), store);
            }
            if (c.name().startsWith("reconciliation, warn")) {
                envelopes.begin(t0.plusSeconds(60)).insert("public.orders", order(101, 1, "2026-05-01T09:30:00Z",
                        "12.00")).commit(); // applied by the case's step, after the mismatch was seen
            }
            c.then().run(context);
        }

        if (c.loaded() != null) {
            assertThat(loaded(c, schema)).as("loaded keys of " + c.target()).containsExactlyElementsOf(c.loaded());
        } else {
            assertThat(loaded(c, schema)).as("the failing batch loaded nothing of " + c.target()).isEmpty();
        }
        assertThat(dw("SELECT natural_key ->> (SELECT min(k) FROM jsonb_object_keys(natural_key) k) FROM "
                + "lockstep.quarantine WHERE pipeline = '" + pipeline + "' AND status = 'open' AND rule = '"
                + context.rule().name() + "' ORDER BY 1")).as("quarantined keys").containsExactlyElementsOf(c.quarantined());
        assertThat(dw("SELECT count(*) FROM lockstep.open_alerts WHERE pipeline = '" + pipeline + "' AND rule = '"
                + context.rule().name() + "'")).as("the rule's alert is open").containsExactly(c.alert() ? "1" : "0");
    }

    private static List<String> loaded(Case c, String schema) throws Exception {
        return switch (c.target()) {
            case "customer" -> dw("SELECT id::text FROM " + schema + ".dim_customer WHERE customer_key <> -1 AND NOT "
                    + "is_inferred ORDER BY id");
            case "order_line" -> dw("SELECT id::text FROM " + schema + ".fact_order_line ORDER BY id");
            default -> dw("SELECT id::text FROM " + schema + ".fact_order ORDER BY id");
        };
    }

    /** Runs the references rules, as a quiet apply stage does, until the rule acted on the member still inferred. */
    private static void tickUntilGraceActed(Context c) throws Exception {
        TestWarehouse.checkReferencesUntil(services, "qdw", c.pipeline(), c.deployment().star(),
                () -> dw("SELECT count(*) FROM lockstep.open_alerts WHERE pipeline = '" + c.pipeline() + "'")
                        .equals(List.of("1")));
    }

    /** Runs the case's aggregate rule once, as the alerting timer does, and commits its outcome. */
    private static AggregateOutcome aggregate(Context c) throws Exception {
        try (Connection connection = DriverManager.getConnection(services.jdbcUrl("qdw"), services.user(),
                services.password()); AggregateChecks checks = new AggregateChecks(c.deployment().definition(),
                c.deployment().star(), services.bootstrapServers())) {
            connection.setAutoCommit(false);
            AggregateOutcome outcome = checks.run(connection, c.rule());
            connection.commit();
            return outcome;
        }
    }

    private static void freshnessBreachesThenResolves(Context c) throws Exception {
        assertThat(aggregate(c).passing()).as("every change applied: no lag").isTrue();
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), c.pipeline(),
                c.deployment().tables()); KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            envelopes.begin(Instant.now()).insert("public.orders", order(102, 1, "2026-05-01T10:00:00Z", "1.00"))
                    .commit();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> !aggregate(c).passing());
            assertThat(openAlerts(c)).as("breached while the change waits").containsExactly(c.rule().name());
            TestWarehouse.applyAll(services, "qdw", c.pipeline(), c.deployment().star(), store);
        }
        assertThat(aggregate(c).passing()).isTrue();
        assertThat(events(c)).containsExactly("dev.lockstep.rule.breached", "dev.lockstep.rule.resolved");
    }

    private static void reconciliationResolves(Context c) throws Exception {
        AggregateOutcome outcome = aggregate(c);
        assertThat(outcome.passing()).isFalse();
        assertThat(outcome.observed()).contains("rows 1 vs 2 in the source").contains("sum(total) 30.00 vs 42.00");
        assertThat(openAlerts(c)).containsExactly(c.rule().name());
        try (KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            TestWarehouse.applyAll(services, "qdw", c.pipeline(), c.deployment().star(), store);
        }
        assertThat(aggregate(c).passing()).as("back within: order 101 loaded").isTrue();
        assertThat(events(c)).containsExactly("dev.lockstep.rule.breached", "dev.lockstep.rule.resolved");
    }

    private static List<String> openAlerts(Context c) throws Exception {
        return dw("SELECT rule FROM lockstep.open_alerts WHERE pipeline = '" + c.pipeline() + "'");
    }

    private static List<String> events(Context c) throws Exception {
        return dw("SELECT type FROM lockstep.alerts WHERE pipeline = '" + c.pipeline() + "' ORDER BY alert_id");
    }

    private static List<String> dw(String sql) throws Exception {
        return services.query("qdw", sql);
    }
}
