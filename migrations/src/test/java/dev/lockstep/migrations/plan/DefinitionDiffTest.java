package dev.lockstep.migrations.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.SourceDimension;
import dev.lockstep.core.definition.live.DerivedColumn;
import dev.lockstep.core.definition.live.ReplicaIdentity;
import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.warehouse.star.StarSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The typed diff between {@code definitions/deployed.yaml} and edited copies of it, without a database. */
class DefinitionDiffTest {

    static final String DEPLOYED = read("definitions/deployed.yaml");

    static Stream<Arguments> changes() {
        return Stream.of(
                // attributes and measures
                change("add an attribute",
                        edit("city: city }", "city: city, segment: segment }"),
                        "customer.segment: ADD_ATTRIBUTE (none) → segment [REBUILD]"),
                change("drop an attribute",
                        edit("{ name: name, email", "{ email"),
                        "customer.name: DROP_ATTRIBUTE name → (none) [DESTRUCTIVE]"),
                change("rename an attribute declared with renamed_from",
                        edit("{ name: name, email", "{ full_name: name, email"),
                        edit("    tracked: [city]", "    renamed_from: { full_name: name }\n    tracked: [city]"),
                        "customer.full_name: RENAME_ATTRIBUTE name → full_name [ADDITIVE]"),
                change("rename an attribute and change its expression",
                        edit("{ name: name, email", "{ full_name: initcap(name), email"),
                        edit("    tracked: [city]", "    renamed_from: { full_name: name }\n    tracked: [city]"),
                        "customer.full_name: RENAME_ATTRIBUTE name → full_name [ADDITIVE]",
                        "customer.full_name: CHANGE_EXPRESSION name → initcap(name) [REBUILD]"),
                change("a rename carries tracked and pii with it",
                        edit("email: lower(email), city: city }", "mail: lower(email), town: city }"),
                        edit("    tracked: [city]\n    pii: [email]", "    renamed_from: { mail: email, town: city }\n"
                                + "    tracked: [town]\n    pii: [mail]"),
                        edit("target: customer, columns: [email] }", "target: customer, columns: [mail] }"),
                        "customer.mail: RENAME_ATTRIBUTE email → mail [ADDITIVE]",
                        "customer.town: RENAME_ATTRIBUTE city → town [ADDITIVE]",
                        "customer.not_null_customer_mail: ADD_RULE [ADDITIVE]",
                        "customer.not_null_customer_email: DROP_RULE [ADDITIVE]"),
                change("a rename not declared is a drop and an add, never guessed",
                        edit("{ name: name, email", "{ full_name: name, email"),
                        "customer.full_name: ADD_ATTRIBUTE (none) → name [REBUILD]",
                        "customer.name: DROP_ATTRIBUTE name → (none) [DESTRUCTIVE]"),
                change("change an expression",
                        edit("city: city }", "city: \"coalesce(city, 'Unknown')\" }"),
                        "customer.city: CHANGE_EXPRESSION city → coalesce(city, 'Unknown') [REBUILD]"),
                change("add, drop and rename measures",
                        edit("measures: { quantity: quantity, amount: quantity * unit_price }",
                                "measures: { quantity: quantity, revenue: quantity * unit_price, discount: discount }\n"
                                        + "    renamed_from: { revenue: amount }"),
                        "order_line.revenue: RENAME_MEASURE amount → revenue [ADDITIVE]",
                        "order_line.discount: ADD_MEASURE (none) → discount [REBUILD]"),
                change("drop a measure",
                        edit(", amount: quantity * unit_price }", " }"),
                        "order_line.amount: DROP_MEASURE quantity * unit_price → (none) [DESTRUCTIVE]"),
                // targets
                change("add a dimension",
                        edit("  date: {", "  product: { from: public.products, key: id, columns: { sku: sku } }\n"
                                + "  date: {"),
                        "product: ADD_DIMENSION [ADDITIVE]"),
                change("drop a dimension",
                        edit("  category: { from: public.categories, key: id, columns: { label: name } }\n", ""),
                        "category: DROP_DIMENSION [DESTRUCTIVE]"),
                change("add a fact",
                        edit("quality:", "  orders: { from: public.orders, grain: [id], measures: { total: total } }\n"
                                + "quality:"),
                        "orders: ADD_FACT [ADDITIVE]"),
                change("drop a fact",
                        edit(DEPLOYED.substring(DEPLOYED.indexOf("  order_line:"), DEPLOYED.indexOf("quality:")),
                                "  orders: { from: public.orders, grain: [id], measures: { total: total } }\n"),
                        edit("  - { rule: range, target: order_line, columns: [quantity], min: 1 }\n", ""),
                        "order_line: DROP_FACT [DESTRUCTIVE]",
                        "order_line.range_order_line_quantity: DROP_RULE [ADDITIVE]",
                        "orders: ADD_FACT [ADDITIVE]"),
                // references and lookups
                change("add a reference",
                        edit("{ customer: ord.customer_id,", "{ customer: ord.customer_id, category: ord.category_id,"),
                        "order_line.category: ADD_REFERENCE (none) → category(ord.category_id) [REBUILD]"),
                change("drop a reference",
                        edit("{ customer: ord.customer_id, date", "{ date"),
                        "order_line.customer: DROP_REFERENCE customer(ord.customer_id) → (none) [DESTRUCTIVE]"),
                change("change a reference",
                        edit("customer: ord.customer_id,", "customer: ord.buyer_id,"),
                        "order_line.customer: CHANGE_REFERENCE customer(ord.customer_id) → customer(ord.buyer_id) "
                                + "[REBUILD]"),
                change("add a lookup",
                        edit("      ord: { from: public.orders, on: order_id }",
                                "      ord: { from: public.orders, on: order_id }\n"
                                        + "      prod: { from: public.products, on: product_id }"),
                        "order_line.prod: ADD_LOOKUP (none) → public.products on product_id [ADDITIVE]"),
                change("drop a lookup",
                        edit("    lookup:\n      ord: { from: public.orders, on: order_id }\n", ""),
                        edit("{ customer: ord.customer_id, date: ord.created_at }", "{ customer: customer_id, "
                                + "date: created_at }"),
                        "order_line.ord: DROP_LOOKUP public.orders on order_id → (none) [ADDITIVE]",
                        "order_line.customer: CHANGE_REFERENCE customer(ord.customer_id) → customer(customer_id) "
                                + "[REBUILD]",
                        "order_line.date: CHANGE_REFERENCE date(ord.created_at) → date(created_at) [REFUSED]"),
                change("change a lookup",
                        edit("on: order_id }", "on: order_ref, key: ref }"),
                        "order_line.ord: CHANGE_LOOKUP public.orders on order_id → public.orders on order_ref key ref "
                                + "[REBUILD]"),
                // history, keys, partitioning
                change("SCD 1 to 2 starts history",
                        edit("{ from: public.categories, key: id,", "{ from: public.categories, key: id, scd: 2,"),
                        "category.scd: CHANGE_SCD 1 → 2 [ADDITIVE]"),
                change("SCD 2 to 1 keeps the current versions only",
                        edit("    scd: 2\n", "    scd: 1\n"), edit("    tracked: [city]\n", ""),
                        "customer.scd: CHANGE_SCD 2 → 1 [DESTRUCTIVE]"),
                change("change tracked",
                        edit("tracked: [city]", "tracked: [city, name]"),
                        "customer.tracked: CHANGE_TRACKED [city] → [name, city] [ADDITIVE]"),
                change("change the natural key",
                        edit("from: public.categories, key: id,", "from: public.categories, key: code,"),
                        "category.key: CHANGE_KEY [id] → [code] [REFUSED]"),
                change("change the grain",
                        edit("grain: [id]\n    lookup", "grain: [order_id, line_no]\n    lookup"),
                        "order_line.grain: CHANGE_GRAIN [id] → [order_id, line_no] [REFUSED]"),
                change("change partitioning",
                        edit("    partition_by: date\n", ""),
                        "order_line.partition_by: CHANGE_PARTITIONING date → (none) [REFUSED]"),
                change("change a target's source table",
                        edit("from: public.categories, key", "from: public.products, key"),
                        "category.from: CHANGE_SOURCE public.categories → public.products [REFUSED]"),
                change("on_delete soft to hard",
                        edit("    pii: [email]\n", "    pii: [email]\n    on_delete: hard\n"),
                        "customer.on_delete: CHANGE_ON_DELETE soft → hard [DESTRUCTIVE]"),
                change("extend the date range",
                        edit("to: 2030-12-31", "to: 2035-12-31"),
                        "date: CHANGE_DATE_RANGE 2020-01-01..2030-12-31 → 2020-01-01..2035-12-31 [ADDITIVE]"),
                // personal data
                change("a column becomes pii",
                        edit("pii: [email]", "pii: [email, name]"),
                        "customer.name: CHANGE_PII false → true [REBUILD]"),
                change("a column stops being pii",
                        edit("    pii: [email]\n", ""),
                        "customer.email: CHANGE_PII true → false [ADDITIVE]"),
                // rules
                change("add, change and drop rules",
                        edit("  - { rule: not_null, target: customer, columns: [email] }",
                                "  - { rule: not_null, target: customer, columns: [email], on_fail: warn }\n"
                                        + "  - { rule: unique, target: customer, columns: [email] }"),
                        edit("  - { rule: range, target: order_line, columns: [quantity], min: 1 }\n", ""),
                        "customer.unique_customer_email: ADD_RULE [ADDITIVE]",
                        "customer.not_null_customer_email: CHANGE_RULE [ADDITIVE]",
                        "order_line.range_order_line_quantity: DROP_RULE [ADDITIVE]"),
                // the pipeline's own settings
                change("add and drop source tables",
                        edit("public.categories, public.products]", "public.categories, public.stock]"),
                        "public.stock: ADD_SOURCE_TABLE [ADDITIVE]",
                        "public.products: DROP_SOURCE_TABLE [DESTRUCTIVE]"),
                change("change the time zone",
                        edit("pipeline: shop\n", "pipeline: shop\ntimezone: Europe/Paris\n"),
                        "timezone: CHANGE_TIMEZONE UTC → Europe/Paris [REFUSED]"),
                change("change the warehouse schema",
                        edit("schema: shop_dw", "schema: shop_dw2"),
                        "warehouse.schema: CHANGE_WAREHOUSE_SCHEMA shop_dw → shop_dw2 [REFUSED]"),
                change("change the replication slot",
                        edit("user: lockstep }\n  tables", "user: lockstep, slot: shop_v2 }\n  tables"),
                        "source.postgres.slot: CHANGE_SETTING lockstep_shop → shop_v2 [REFUSED]"),
                change("change runtime settings",
                        edit("quality:", "schema_changes: fail\nalerts: { min_severity: critical }\nquality:"),
                        "alerts: CHANGE_SETTING [ADDITIVE]",
                        "schema_changes: CHANGE_SETTING evolve → fail [ADDITIVE]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("changes")
    void shouldListExactlyTheOperationsOfEachChange(String name, List<Edit> edits, List<String> expected) {
        String next = DEPLOYED;
        for (Edit e : edits) {
            assertThat(next).as("the edit's text occurs once: " + e.from()).containsOnlyOnce(e.from());
            next = next.replace(e.from(), e.to());
        }

        Diff diff = DefinitionDiff.between(parse(DEPLOYED), parse(next));

        assertThat(diff.operations()).extracting(Operation::describe).containsExactlyElementsOf(expected);
    }

    @Test
    void shouldAddTheColumnTypeChangesOfTheTypedStarSchemasFollowingRenames() {
        PipelineDefinition deployed = parse(DEPLOYED);
        PipelineDefinition next = parse(DEPLOYED.replace("amount: quantity * unit_price }",
                "revenue: quantity * unit_price }\n    renamed_from: { revenue: amount }"));
        StarSchema deployedStar = star(deployed, Map.of("fact_order_line.quantity", "integer",
                "fact_order_line.amount", "numeric"));
        StarSchema nextStar = star(next, Map.of("fact_order_line.quantity", "bigint",
                "fact_order_line.revenue", "numeric(12,2)"));

        Diff diff = DefinitionDiff.between(deployed, next).withColumnTypes(deployedStar, nextStar);

        assertThat(diff.operations()).extracting(Operation::describe).containsExactly(
                "order_line.revenue: RENAME_MEASURE amount → revenue [ADDITIVE]",
                "order_line.quantity: CHANGE_TYPE integer → bigint [REBUILD]",
                "order_line.revenue: CHANGE_TYPE numeric → numeric(12,2) [REBUILD]");
        assertThat(DefinitionDiff.between(deployed, deployed).withColumnTypes(deployedStar, deployedStar).isEmpty())
                .isTrue();
    }

    @Test
    void shouldFindNothingBetweenIdenticalDefinitions() {
        Diff diff = DefinitionDiff.between(parse(DEPLOYED), parse(DEPLOYED));

        assertThat(diff.isEmpty()).isTrue();
        assertThat(diff.impact()).isEmpty();
        assertThat(diff.withTexts(DEPLOYED, DEPLOYED).isEmpty()).isTrue();
    }

    @Test
    void shouldCallAChangeOfCommentsLayoutAndKeyOrderCommentOnly() {
        String next = DEPLOYED.replace("# The deployed version", "# The version")
                .replace("    columns: { name: name, email: lower(email), city: city }",
                        "    columns:\n      city: city      # where they live\n      name: name\n      email: lower(email)");

        Diff diff = DefinitionDiff.between(parse(DEPLOYED), parse(next)).withTexts(DEPLOYED, next);

        assertThat(diff.operations()).singleElement().satisfies(o -> {
            assertThat(o.kind()).isEqualTo(Operation.Kind.COMMENT_ONLY);
            assertThat(o.impact()).isEqualTo(Impact.ADDITIVE);
            assertThat(o.note()).contains("no warehouse change");
        });
    }

    @Test
    void shouldGiveTheManualStepsOfEveryRefusedChange() {
        String next = DEPLOYED.replace("grain: [id]", "grain: [order_id, line_no]")
                .replace("key: id, columns: { label", "key: code, columns: { label")
                .replace("    partition_by: date\n", "");

        Diff diff = DefinitionDiff.between(parse(DEPLOYED), parse(next));

        assertThat(diff.impact()).contains(Impact.REFUSED);
        assertThat(diff.refused()).extracting(Operation::kind).containsExactly(Operation.Kind.CHANGE_KEY,
                Operation.Kind.CHANGE_GRAIN, Operation.Kind.CHANGE_PARTITIONING);
        assertThat(diff.refused()).allSatisfy(o -> assertThat(o.manualSteps()).hasSize(3));
        assertThat(diff.refused().get(1).manualSteps()).containsExactly(
                "Add a fact `order_line_v2` (from public.order_items) with the new grain beside `order_line` and "
                        + "deploy: the deployment loads it from the raw layer before its switch.",
                "Move queries, quality rules from fact_order_line to its new table.",
                "Remove `order_line` from the definition and deploy: fact_order_line is dropped.");
        assertThat(diff.operations()).filteredOn(o -> o.impact() != Impact.REFUSED)
                .allSatisfy(o -> assertThat(o.manualSteps()).isEmpty());
    }

    @Test
    void shouldSayThatANewPiiColumnIsMaskedAgainInTheLedger() {
        Diff diff = DefinitionDiff.between(parse(DEPLOYED), parse(DEPLOYED.replace("pii: [email]",
                "pii: [email, name]")));

        assertThat(diff.operations()).singleElement().extracting(Operation::note).asString()
                .contains("masks `name` in the quarantine ledger");
    }

    @Test
    void shouldTakeTheStrictestImpactAsTheDiffsImpact() {
        String next = DEPLOYED.replace("city: city }", "city: city, segment: segment }")
                .replace("{ name: name, email", "{ email");

        assertThat(DefinitionDiff.between(parse(DEPLOYED), parse(next)).impact()).contains(Impact.DESTRUCTIVE);
    }

    @Test
    void shouldIgnoreARenameAlreadyDeployed() {
        String renamed = DEPLOYED.replace("{ name: name, email", "{ full_name: name, email")
                .replace("    tracked: [city]", "    renamed_from: { full_name: name }\n    tracked: [city]");

        assertThat(DefinitionDiff.between(parse(renamed), parse(renamed)).isEmpty()).isTrue();
    }

    @Test
    void shouldRefuseToCompareTwoPipelines() {
        PipelineDefinition other = parse(DEPLOYED.replace("pipeline: shop", "pipeline: other"));

        assertThatThrownBy(() -> DefinitionDiff.between(parse(DEPLOYED), other))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pipeline 'other' is not");
    }

    // ---- helpers

    record Edit(String from, String to) {}

    static Edit edit(String from, String to) {
        return new Edit(from, to);
    }

    /** A case: its name, then its edits, then the expected operations as {@link Operation#describe()} shows them. */
    static Arguments change(String name, Object... editsThenExpected) {
        List<Edit> edits = Stream.of(editsThenExpected).filter(Edit.class::isInstance).map(Edit.class::cast).toList();
        List<String> expected = Stream.of(editsThenExpected).filter(String.class::isInstance)
                .map(String.class::cast).toList();
        return Arguments.of(name, edits, expected);
    }

    /** The star schema of {@code d}: every source table keyed by {@code id bigint}, other columns typed text. */
    static StarSchema star(PipelineDefinition d, Map<String, String> types) {
        Map<TableId, SourceTable> sources = new HashMap<>();
        d.source().tables().forEach(t -> sources.put(t, new SourceTable(t, true, "r",
                List.of(new SourceColumn("id", "bigint", SourceColumn.Kind.BASE, "bigint", true)), List.of("id"),
                new ReplicaIdentity(ReplicaIdentity.Mode.DEFAULT, List.of()))));
        List<DerivedColumn> derived = new ArrayList<>();
        d.dimensions().values().stream().filter(SourceDimension.class::isInstance).map(SourceDimension.class::cast)
                .forEach(dim -> dim.columns().keySet().forEach(c -> derived.add(new DerivedColumn(dim.tableName(), c,
                        "text", ""))));
        d.facts().values().forEach(f -> f.measures().keySet().forEach(m -> derived.add(new DerivedColumn(
                f.tableName(), m, types.getOrDefault(f.tableName() + "." + m, "text"), ""))));
        return StarSchema.of(d, sources, derived);
    }

    static PipelineDefinition parse(String text) {
        ParsedDefinition parsed = DefinitionParser.create().parse("pipeline.yaml", text);
        assertThat(parsed.problems()).as("problems of the definition").isEmpty();
        return parsed.definition().orElseThrow();
    }

    static String read(String resource) {
        try {
            return Files.readString(Path.of(DefinitionDiffTest.class.getResource("/" + resource).toURI()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
