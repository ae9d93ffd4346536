package dev.lockstep.warehouse.star;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.live.DerivedColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.warehouse.raw.MigrationScript;
import dev.lockstep.warehouse.testing.UnitStar;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The star schema model and the DDL generated from it, without a database. */
class StarSchemaTest {

    private static final String DEFINITION = UnitStar.DEFINITION;
    private static final Map<TableId, SourceTable> SOURCES = UnitStar.SOURCES;
    private static final List<DerivedColumn> TYPES = UnitStar.TYPES;


    @Test
    void shouldJoinLookupsAfterTheLookupsTheyReferTo() {
        StarSchema star = StarSchema.of(definition(), SOURCES, TYPES);

        assertThat(star.facts().get(0).joins()).extracting(j -> j.lookup().name()).containsExactly("ord", "cust");
        assertThat(star.lookupColumns()).containsOnlyKeys(TableId.parse("public.items"), TableId.parse("public.orders"));
        assertThat(star.lookupColumns().get(TableId.parse("public.orders"))).containsExactly("customer_id");
    }

    @Test
    void shouldNameTheColumnsWhoseChangeRederivesTheRowsThatLookThemUp() {
        StarSchema star = StarSchema.of(definition(), SOURCES, TYPES);

        // orders: its key, the column the chained lookup joins on, the date; not a column no expression uses.
        // customers: its key and the measure's city (not email, which only the dimension uses, not through a lookup).
        assertThat(star.lookedUpColumns()).containsOnlyKeys(TableId.parse("public.orders"),
                TableId.parse("public.customers"));
        assertThat(star.lookedUpColumns().get(TableId.parse("public.orders"))).containsExactly("created_at",
                "customer_id", "id");
        assertThat(star.lookedUpColumns().get(TableId.parse("public.customers"))).containsExactly("city", "id");
    }

    @Test
    void shouldCountEveryColumnOfALookupUsedAsAWholeRowOrWithoutItsName() {
        String definition = DEFINITION.replace("measures: { amount: amount, city: cust.city }",
                "measures: { amount: amount, city: to_jsonb(cust)::text, created: created_at }");
        ParsedDefinition parsed = DefinitionParser.create().parse("unit.yaml", definition);
        assertThat(parsed.errors()).isEmpty();
        StarSchema star = StarSchema.of(parsed.definition().orElseThrow(), SOURCES, List.of(TYPES.get(0),
                TYPES.get(1), new DerivedColumn("fact_item", "city", "text", "facts.item.measures.city"),
                new DerivedColumn("fact_item", "created", "timestamp with time zone", "facts.item.measures.created")));

        assertThat(star.lookedUpColumns()).as("customers is used as a whole row: every column counts")
                .containsOnlyKeys(TableId.parse("public.orders"));
        assertThat(star.lookedUpColumns().get(TableId.parse("public.orders")))
                .as("an unqualified column only orders has").contains("created_at");
    }

    @Test
    void shouldTypeKeysFromTheCatalogAndColumnsFromPostgres() {
        StarSchema star = StarSchema.of(definition(), SOURCES, TYPES);

        assertThat(star.dimensions().get(0).key()).containsExactly(new StarSchema.Column("id", "bigint"));
        assertThat(star.facts().get(0).measures()).containsExactly(new StarSchema.Column("amount", "numeric"),
                new StarSchema.Column("city", "text"));
        assertThat(star.facts().get(0).partition()).map(r -> r.definition().column()).contains("date_key");
    }

    @Test
    void shouldNameTheColumnPostgresCouldNotType() {
        assertThatThrownBy(() -> StarSchema.of(definition(), SOURCES, TYPES.subList(0, 2)))
                .isInstanceOf(LockstepException.class).hasMessageContaining("fact_item.city")
                .hasMessageContaining("validate --connect");
    }

    @Test
    void shouldJustifyEveryIndexAndCommentEveryColumn() {
        MigrationScript script = StarSchemaDdl.create(StarSchema.of(definition(), SOURCES, TYPES), 2);
        List<String> lines = Arrays.asList(script.up().split("\n"));

        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.startsWith("CREATE INDEX") || line.startsWith("CREATE UNIQUE INDEX")
                    || line.startsWith("PRIMARY KEY")) {
                assertThat(lines.get(i - 1)).as("the line before " + line).contains("-- Supports: ");
            }
        }
        Matcher created = Pattern.compile("\"dw\"\\.\"(dim_customer|fact_item)\" \\(\\n((?:    .*\\n)+?)    --")
                .matcher(script.up());
        int tables = 0;
        while (created.find()) {
            tables++;
            for (String column : created.group(2).split("\n")) {
                String name = column.strip().split(" ")[0];
                assertThat(script.up()).as(name).contains("COMMENT ON COLUMN \"dw\".\"" + created.group(1) + "\"." + name);
            }
        }
        assertThat(tables).isEqualTo(2);
        assertThat(script.up()).contains("PII. Computed as: lower(email)")
                .contains("PARTITION BY RANGE (\"date_key\")").contains("\"fact_item_default\" PARTITION OF");
        assertThat(script.down()).isEqualTo("DROP TABLE \"dw\".\"fact_item\";\nDROP TABLE \"dw\".\"dim_customer\";\n"
                + "DROP TABLE \"dw\".\"dim_date\";\nCOMMENT ON SCHEMA \"dw\" IS NULL;\n");
    }

    @Test
    void shouldCompareTypesWithoutEqualityAsText() {
        List<DerivedColumn> types = List.of(new DerivedColumn("dim_customer", "email", "json",
                "dimensions.customer.columns.email"), TYPES.get(1), TYPES.get(2));
        StarSchema star = StarSchema.of(definition(), SOURCES, types);
        DimensionSql customer = new DimensionSql(star, star.dimensions().get(0), Map.of(
                TableId.parse("public.customers"), "stage_c"), "lockstep_d1");

        assertThat(String.join("\n", customer.load())).contains("ROW((\"email\")::text) IS DISTINCT FROM "
                + "ROW((lag(\"email\") OVER w)::text)");
    }

    @Test
    void shouldIndexTheCurrentRowsEachUniqueRuleProbesAndEveryDimensionsInferredMembers() {
        ParsedDefinition parsed = DefinitionParser.create().parse("unit.yaml", DEFINITION + """
                quality:
                  - { rule: unique, target: customer, columns: [email], on_fail: warn }
                  - { rule: not_null, target: customer, columns: [email] }
                """);
        assertThat(parsed.errors()).isEmpty();
        StarSchema star = StarSchema.of(parsed.definition().orElseThrow(), SOURCES, TYPES);

        Map<String, String> indexes = StarSchemaDdl.ruleIndexes(star);
        assertThat(indexes).hasSize(1);
        String name = indexes.keySet().iterator().next();
        assertThat(name).startsWith(StarSchemaDdl.RULE_INDEX_PREFIX).hasSizeLessThanOrEqualTo(63);
        assertThat(indexes.get(name)).contains("CREATE INDEX IF NOT EXISTS \"" + name + "\" ON \"dw\".\"dim_customer\" "
                + "(\"email\") WHERE is_current AND NOT is_deleted;").contains("COMMENT ON INDEX");
        assertThat(StarSchemaDdl.ruleIndexes(star)).as("the same name each time").containsOnlyKeys(name);
        assertThat(StarSchemaDdl.ruleIndexes(StarSchema.of(definition(), SOURCES, TYPES))).isEmpty();
        assertThat(StarSchemaDdl.create(star, 2).up()).contains("CREATE INDEX ON \"dw\".\"dim_customer\" "
                + "(_loaded_at) WHERE is_inferred;");
    }

    @Test
    void shouldSumOnlyTheMeasuresPostgresCanSum() {
        Reconciliation reconciliation = new Reconciliation(StarSchema.of(definition(), SOURCES, TYPES), "unit");

        assertThat(reconciliation.measures("item")).containsExactly("amount", "city");
        assertThat(reconciliation.summedMeasures("item")).containsExactly("amount"); // sum(text) does not exist
        assertThat(reconciliation.summedMeasures("customer")).isEmpty();
    }

    private static PipelineDefinition definition() {
        ParsedDefinition parsed = DefinitionParser.create().parse("unit.yaml", DEFINITION);
        assertThat(parsed.errors()).isEmpty();
        return parsed.definition().orElseThrow();
    }
}
