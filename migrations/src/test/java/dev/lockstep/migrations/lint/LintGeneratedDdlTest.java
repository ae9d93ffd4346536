package dev.lockstep.migrations.lint;

import static dev.lockstep.warehouse.testing.SourceTables.table;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.live.DerivedColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.migrations.lint.Script.Phase;
import dev.lockstep.warehouse.raw.MigrationScript;
import dev.lockstep.warehouse.raw.RawLayerDdl;
import dev.lockstep.warehouse.star.StarSchema;
import dev.lockstep.warehouse.star.StarSchemaDdl;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The DDL Lockstep generates for a first deployment is understood by the linter, and it finds nothing in it. */
class LintGeneratedDdlTest {

    private static final String DEFINITION = """
            pipeline: unit
            source:
              postgres: { host: localhost, database: shop, user: u }
              tables: [public.items, public.orders, public.customers]
            warehouse:
              postgres: { host: localhost, database: dw, user: u }
              schema: dw
            dimensions:
              customer: { from: public.customers, key: id, scd: 2, columns: { email: lower(email) }, pii: [email] }
              date: { generated: true, from: 2024-01-01, to: 2024-12-31 }
            facts:
              item:
                from: public.items
                grain: [id]
                lookup:
                  ord: { from: public.orders, on: order_id }
                dimensions: { customer: ord.customer_id, date: ord.created_at }
                measures: { amount: amount }
                partition_by: date
            """;

    @Test
    void shouldFindNothingInAFirstDeploymentsGeneratedScripts() {
        Map<TableId, SourceTable> sources = Map.of(
                TableId.parse("public.items"), table("public.items", "id bigint", "order_id bigint", "amount numeric"),
                TableId.parse("public.orders"), table("public.orders", "id bigint", "customer_id bigint",
                        "created_at timestamp with time zone"),
                TableId.parse("public.customers"), table("public.customers", "id bigint", "email text"));
        ParsedDefinition parsed = DefinitionParser.create().parse("unit.yaml", DEFINITION);
        assertThat(parsed.errors()).isEmpty();
        StarSchema star = StarSchema.of(parsed.definition().orElseThrow(), sources, List.of(
                new DerivedColumn("dim_customer", "email", "text", "dimensions.customer.columns.email"),
                new DerivedColumn("fact_item", "amount", "numeric", "facts.item.measures.amount")));
        List<MigrationScript> generated = new ArrayList<>();
        generated.add(RawLayerDdl.create("dw", sources.values(), 1, star.lookupColumns()));
        generated.addAll(StarSchemaDdl.migrations(star));
        List<Script> scripts = generated.stream()
                .map(m -> Script.generated(m.fileName(), m.up(), Phase.EXPAND)).toList();

        LintReport report = MigrationLint.lint(scripts, LintContext.empty().withDefaultSchema("dw"));

        assertThat(LintRulesTest.findings(report)).extracting(Finding::format).isEmpty();
        assertThat(scripts).allSatisfy(s -> assertThat(SqlScanner.split(s.sql())).isNotEmpty());
    }
}
