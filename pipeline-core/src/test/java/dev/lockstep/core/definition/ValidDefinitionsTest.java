package dev.lockstep.core.definition;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.stream.TableId;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The valid corpus parses without problems, into the model it describes. */
class ValidDefinitionsTest {

    private static final Map<String, String> LOGISTICS_ENV = Map.of(
            "LOGISTICS_DB_PASSWORD", "not-shown", "LOGISTICS_WEBHOOK", "https://hooks.example.com/T000/secret");

    static Stream<Path> validDefinitions() {
        return Stream.concat(Fixtures.files("valid"), Stream.of(Fixtures.repository("examples/shop/pipeline.yaml")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validDefinitions")
    void shouldParseWithoutProblems(Path file) {
        ParsedDefinition parsed = DefinitionParser.create().withEnvironment(LOGISTICS_ENV::get).parse(file);

        assertThat(parsed.problems()).isEmpty();
        assertThat(parsed.definition()).isPresent();
    }

    @Test
    void shouldFillInEveryDefaultForAMinimalDefinition() {
        PipelineDefinition d = parse("valid/minimal.yaml");

        assertThat(d.name()).isEqualTo("inventory");
        assertThat(d.timezone()).isEqualTo(ZoneId.of("UTC"));
        SourcePostgres source = d.source().postgres();
        assertThat(source.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5432/inventory");
        assertThat(source.password()).isEmpty();
        assertThat(source.slot()).isEqualTo("lockstep_inventory");
        assertThat(source.publication()).isEqualTo("lockstep_inventory");
        assertThat(d.source().tables()).containsExactly(new TableId("public", "stock"));
        assertThat(d.source().snapshot()).isEqualTo(SnapshotMode.INITIAL);
        assertThat(d.source().fanout()).isFalse();
        assertThat(d.warehouse().schema()).isEqualTo("inventory");
        assertThat(d.warehouse().rawSchema()).isEqualTo("inventory_raw");
        assertThat(d.dimensions()).isEmpty();
        assertThat(d.facts()).isEmpty();
        assertThat(d.quality()).isEmpty();
        assertThat(d.schemaChanges()).isEqualTo(SchemaChangePolicy.EVOLVE);
        assertThat(d.load()).isEqualTo(new Load(5000, Duration.ofMillis(50)));
        assertThat(d.sla()).isEqualTo(Sla.none());
        assertThat(d.alerts()).isEqualTo(new Alerts(List.of(), Severity.WARNING));
    }

    @Test
    void shouldReadTheShopExampleIntoItsStarSchema() {
        PipelineDefinition d = DefinitionParser.create().parse(Fixtures.repository("examples/shop/pipeline.yaml"))
                .definition().orElseThrow();

        assertThat(d.timezone()).isEqualTo(ZoneId.of("Europe/Paris"));
        assertThat(d.warehouse().schema()).isEqualTo("shop_dw");
        SourceDimension customer = (SourceDimension) d.dimensions().get("customer");
        assertThat(customer.scd()).isEqualTo(ScdType.TYPE_2);
        assertThat(customer.key()).containsExactly("id");
        assertThat(customer.columns()).containsKeys("name", "email", "city", "segment", "signup_date");
        assertThat(customer.tracked()).containsExactly("city", "segment");
        assertThat(customer.pii()).containsExactly("email");
        SourceDimension product = (SourceDimension) d.dimensions().get("product");
        assertThat(product.scd()).isEqualTo(ScdType.TYPE_1);
        assertThat(product.lookup()).containsEntry("cat", new Lookup("cat", new TableId("public", "categories"),
                ColumnRef.of("category_id"), Optional.empty()));
        assertThat(product.columns().get("category")).isEqualTo(new SqlExpression("coalesce(cat.name, 'Uncategorised')"));
        assertThat(d.dimensions().get("date")).isEqualTo(new DateDimension("date", true, LocalDate.of(2020, 1, 1),
                LocalDate.of(2030, 12, 31)));
        Fact line = d.facts().get("order_line");
        assertThat(line.tableName()).isEqualTo("fact_order_line");
        assertThat(line.grain()).containsExactly("id");
        assertThat(line.lookup()).containsOnlyKeys("ord");
        assertThat(line.dimensions().values()).extracting(DimensionReference::column)
                .containsExactly("customer_key", "product_key", "date_key");
        assertThat(line.dimensions().get("customer").key()).containsExactly(new SqlExpression("ord.customer_id"));
        assertThat(line.partitionBy()).contains("date");
        assertThat(d.quality()).extracting(QualityRule::kind).containsExactlyInAnyOrder(RuleKind.values());
    }

    @Test
    void shouldApplyEachRuleKindsDefaultAction() {
        PipelineDefinition d = DefinitionParser.create().parse(Fixtures.repository("examples/shop/pipeline.yaml"))
                .definition().orElseThrow();

        assertThat(rule(d, RuleKind.NOT_NULL).onFail()).isEqualTo(OnFail.QUARANTINE);
        ReferencesRule references = (ReferencesRule) rule(d, RuleKind.REFERENCES);
        assertThat(references.onFail()).isEqualTo(OnFail.UNKNOWN_MEMBER);
        assertThat(references.grace()).isEqualTo(Duration.ofMinutes(30));
        assertThat(references.name()).isEqualTo("references_order_line_product");
        assertThat(rule(d, RuleKind.FRESHNESS).onFail()).isEqualTo(OnFail.WARN);
        assertThat(rule(d, RuleKind.FRESHNESS).severity()).isEqualTo(Severity.CRITICAL);
        assertThat(((CompletenessRule) rule(d, RuleKind.COMPLETENESS)).threshold()).isEqualTo(Percent.of("95"));
        assertThat(rule(d, RuleKind.EXPRESSION).name()).isEqualTo("amount_not_negative");
        assertThat(rule(d, RuleKind.NOT_NULL).resolveAfter()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void shouldReadCompositeKeysRolesChainsQuotedNamesAnchorsAndSecrets() {
        PipelineDefinition d = parse("valid/roles-and-composite-keys.yaml");

        SourcePostgres source = d.source().postgres();
        assertThat(source.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost:6432/logistics");
        assertThat(source.slot()).isEqualTo("logistics_cdc");
        assertThat(source.password().orElseThrow().reveal()).isEqualTo("not-shown");
        assertThat(d.warehouse().postgres().password().orElseThrow().origin()).startsWith("file ")
                .endsWith("secrets/warehouse_password");
        assertThat(d.source().tables()).contains(new TableId("crm", "LegacyAccounts"));
        SourceDimension account = (SourceDimension) d.dimensions().get("account");
        assertThat(account.key()).containsExactly("region_code", "account_no");
        assertThat(account.tracked()).as("SCD 2 tracks every column by default").containsExactly("name", "region",
                "legacy_id");
        assertThat(account.lookup().get("reg").key()).contains("code");
        assertThat(account.onDelete()).isEqualTo(DeletePolicy.HARD);
        assertThat(account.renamedFrom()).isEqualTo(Map.of("region", "region_name"));
        assertThat(((SourceDimension) d.dimensions().get("legacy_account")).key()).containsExactly("AccountNo");
        assertThat(d.dimensions().get("calendar")).isEqualTo(new DateDimension("calendar", true,
                DateDimension.DEFAULT_FROM, DateDimension.DEFAULT_TO));
        Fact shipment = d.facts().get("shipment");
        assertThat(shipment.lookup().get("acc").on()).isEqualTo(ColumnRef.of("ord", "account_no"));
        assertThat(shipment.dimensions().get("account").key()).hasSize(2);
        assertThat(shipment.dimensions().get("ship_date")).isEqualTo(new DimensionReference("ship_date", "calendar",
                List.of(new SqlExpression("shipped_at"))));
        assertThat(shipment.renamedFrom()).isEqualTo(Map.of("weight_kg", "weight"));
        assertThat(shipment.measures().get("label").sql()).isEqualTo("'${not_a_variable}: ' || tracking_no");
        assertThat(d.quality().get(0).severity()).as("from a merge key").isEqualTo(Severity.CRITICAL);
        assertThat(d.quality().get(1).resolveAfter()).isEqualTo(Duration.ofHours(1));
        assertThat(((ReconciliationRule) d.quality().get(4)).countTolerance()).isEqualTo(Percent.of("0.5"));
        assertThat(d.load().batchSize()).isEqualTo(20000);
        assertThat(d.alerts().webhooks()).singleElement().extracting(Secret::reveal)
                .isEqualTo("https://hooks.example.com/T000/secret");
        assertThat(d.schemaChanges()).isEqualTo(SchemaChangePolicy.FAIL);
    }

    private static QualityRule rule(PipelineDefinition d, RuleKind kind) {
        return d.quality().stream().filter(r -> r.kind() == kind).findFirst().orElseThrow();
    }

    private static PipelineDefinition parse(String fixture) {
        Path file = Fixtures.directory(fixture.substring(0, fixture.indexOf('/')))
                .resolve(fixture.substring(fixture.indexOf('/') + 1));
        ParsedDefinition parsed = DefinitionParser.create().withEnvironment(LOGISTICS_ENV::get).parse(file);
        assertThat(parsed.problems()).isEmpty();
        return parsed.definition().orElseThrow();
    }
}
