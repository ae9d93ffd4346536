package dev.lockstep.migrations.plan;

import static dev.lockstep.warehouse.testing.SourceTables.table;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.live.DerivedColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.migrations.lint.LintContext;
import dev.lockstep.migrations.lint.MigrationLint;
import dev.lockstep.warehouse.star.StarSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The DDL a typed diff needs, phase by phase, from two star schemas typed without a database. */
class MigrationPlanTest {

    private static final String DEPLOYED = """
            pipeline: unit
            source:
              postgres: { host: localhost, database: shop, user: u }
              tables: [public.items, public.customers, public.products]
            warehouse:
              postgres: { host: localhost, database: dw, user: u }
              schema: dw
            dimensions:
              customer: { from: public.customers, key: id, scd: 1, columns: { email: lower(email), city: city } }
              product: { from: public.products, key: id, scd: 1, columns: { name: name } }
            facts:
              item:
                from: public.items
                grain: [id]
                dimensions: { customer: customer_id, product: product_id }
                measures: { amount: amount, quantity: quantity }
            quality:
              - { rule: unique, target: customer, columns: [email] }
            """;

    private static final Map<TableId, SourceTable> SOURCES = Map.of(
            TableId.parse("public.items"), table("public.items", "id bigint", "customer_id bigint",
                    "product_id bigint", "amount numeric", "quantity integer", "ordered_at timestamptz"),
            TableId.parse("public.suppliers"), table("public.suppliers", "id bigint", "name text"),
            TableId.parse("public.customers"), table("public.customers", "id bigint", "email text",
                    "city text", "segment text"),
            TableId.parse("public.products"), table("public.products", "id bigint", "name text"));

    @Test
    void shouldAddTheNewFactAndItsRowsInTheExpandPhaseAndDropTheOldDimensionAtContract() {
        String next = """
                pipeline: unit
                source:
                  postgres: { host: localhost, database: shop, user: u }
                  tables: [public.items, public.customers, public.products]
                warehouse:
                  postgres: { host: localhost, database: dw, user: u }
                  schema: dw
                dimensions:
                  customer: { from: public.customers, key: id, scd: 1, columns: { email: lower(email), city: city } }
                facts:
                  item:
                    from: public.items
                    grain: [id]
                    dimensions: { customer: customer_id }
                    measures: { amount: amount, quantity: quantity }
                  item_count:
                    from: public.items
                    grain: [id]
                    measures: { quantity: quantity }
                """;
        MigrationPlan plan = plan(DEPLOYED, next);

        // The new fact is created and loaded as a shadow table, renamed into place (with its indexes) at the switch.
        assertThat(plan.expand()).anySatisfy(s -> assertThat(s).startsWith("CREATE TABLE "
                + "\"dw\".\"_ls_next_fact_item_count\"").doesNotContain("\"dw\".\"fact_item_count\""));
        assertThat(plan.expandDown()).contains("DROP TABLE \"dw\".\"_ls_next_fact_item_count\";");
        assertThat(plan.rebuilds()).filteredOn(r -> r.target().equals("item_count")).singleElement()
                .satisfies(r -> assertThat(r.loadsTarget()).isTrue())
                .satisfies(r -> assertThat(r.into()).contains("_ls_next_fact_item_count"));
        assertThat(plan.switchOver()).anySatisfy(s -> assertThat(s).startsWith("DO $$")).contains(
                "ALTER TABLE \"dw\".\"_ls_next_fact_item_count\" RENAME TO \"fact_item_count\";");
        assertThat(plan.switchDown()).contains(
                "ALTER TABLE \"dw\".\"fact_item_count\" RENAME TO \"_ls_next_fact_item_count\";");
        // The reference (its foreign key) goes before the dimension it points at.
        assertThat(plan.contract()).containsSubsequence(
                "ALTER TABLE \"dw\".\"fact_item\" DROP COLUMN \"product_key\";", "DROP TABLE \"dw\".\"dim_product\";");
        // The unique rule on customer is gone: its index goes at contract, and comes back with the down script.
        assertThat(plan.contract()).anySatisfy(s -> assertThat(s).matches("DROP INDEX IF EXISTS \"dw\"\\."
                + "\"lockstep_rule_[0-9a-f]{16}\";"));
        assertThat(plan.contractDown()).anySatisfy(s -> assertThat(s).startsWith("CREATE INDEX IF NOT EXISTS "));
        assertThat(plan.contractDown())
                .anySatisfy(s -> assertThat(s).startsWith("CREATE TABLE \"dw\".\"dim_product\""));
        assertThat(plan.breaking()).containsExactlyInAnyOrder(
                new MigrationPlan.Breaking("dw", "dim_product", Optional.empty(), "dropped"),
                new MigrationPlan.Breaking("dw", "fact_item", Optional.of("product_key"), "dropped"));
    }

    @Test
    void shouldLeaveANewFactsRuleIndexToTheSwitchAndRenameOnlyItsOwnShadowRelations() {
        String next = DEPLOYED.replace("quality:\n", """
                  item_count: { from: public.items, grain: [id], measures: { quantity: quantity } }
                  item_count_x: { from: public.items, grain: [id], measures: { amount: amount } }
                quality:
                  - { rule: unique, target: item_count, columns: [quantity] }
                """);
        assertThat(next).as("the edit applies").isNotEqualTo(DEPLOYED);
        MigrationPlan plan = plan(DEPLOYED, next);

        // The shadow table has another name until the switch: an index on the fact's name cannot be created before.
        assertThat(plan.expand()).noneSatisfy(s -> assertThat(s).contains("ON \"dw\".\"fact_item_count\""));
        // Each switch block renames the relations of its own shadow table (found by structure), not every relation
        // whose name starts like it: _ls_next_fact_item_count is a prefix of _ls_next_fact_item_count_x.
        assertThat(plan.switchOver()).filteredOn(s -> s.startsWith("DO $$")).hasSize(2)
                .allSatisfy(s -> assertThat(s).contains("pg_inherits WHERE inhparent = ", "pg_index WHERE indrelid IN"));
    }

    @Test
    void shouldAddTheVersionColumnsOfAnScd2SwitchAndMoveTheRuleIndexToCurrentRows() {
        String next = DEPLOYED.replace("customer: { from: public.customers, key: id, scd: 1,",
                "customer: { from: public.customers, key: id, scd: 2,");
        MigrationPlan plan = plan(DEPLOYED, next);

        assertThat(plan.expand()).contains("ALTER TABLE \"dw\".\"dim_customer\" ADD COLUMN valid_from timestamptz "
                + "NOT NULL DEFAULT '-infinity', ADD COLUMN valid_to timestamptz NOT NULL DEFAULT 'infinity', ADD "
                + "COLUMN is_current boolean NOT NULL DEFAULT true;", "CREATE INDEX ON \"dw\".\"dim_customer\" "
                + "(\"id\", valid_from);", "CREATE UNIQUE INDEX ON \"dw\".\"dim_customer\" (\"id\") WHERE is_current;");
        // Nothing to rebuild: every member's row is its first version; the switch drops the unique index on the key.
        assertThat(plan.rebuilds()).isEmpty();
        assertThat(plan.switchOver()).singleElement().satisfies(s -> assertThat(s).startsWith("DO $$").contains(
                "'\"dw\".\"dim_customer\"'::regclass", "ARRAY['id']", "EXECUTE 'DROP INDEX ' || i"));
        // The unique rule's index covers current rows only now: the new one built concurrently after the expand
        // phase (writes go on), with its comment; the old one dropped at contract.
        assertThat(plan.expand()).noneSatisfy(s -> assertThat(s).contains("lockstep_rule_"));
        assertThat(plan.indexes()).singleElement().satisfies(i -> assertThat(i.schema()).isEqualTo("dw"))
                .satisfies(i -> assertThat(i.name()).startsWith("lockstep_rule_"))
                .satisfies(i -> assertThat(i.statements()).satisfiesExactly(
                        create -> assertThat(create).startsWith("CREATE INDEX CONCURRENTLY IF NOT EXISTS "
                                + "\"lockstep_rule_").endsWith("WHERE is_current AND NOT is_deleted;"),
                        comment -> assertThat(comment).startsWith("COMMENT ON INDEX \"dw\".\"lockstep_rule_")));
        assertThat(plan.contract()).singleElement().satisfies(s -> assertThat(s).startsWith("DROP INDEX IF EXISTS "
                + "\"dw\".\"lockstep_rule_"));
        // The generated scripts pass the linter: constant defaults, a lock_timeout first, small tables.
        assertThat(MigrationLint.lint(plan.scripts(3), LintContext.empty().withDefaultSchema("dw")
                .withTableRows(Map.of("dw.dim_customer", 10L))).blocksDeploy()).isFalse();
    }

    @Test
    void shouldRebuildAChangedTypeIntoAShadowColumnThatTheSwitchRenamesIntoPlace() {
        List<DerivedColumn> types = new ArrayList<>(types());
        types.set(1, new DerivedColumn("dim_customer", "city", "character varying(80)",
                "dimensions.customer.columns.city"));
        MigrationPlan plan = plan(DEPLOYED, DEPLOYED.replace("city: city", "city: city::varchar(80)"), types);

        // The table's mark of the rows batches wrote meanwhile (chunks leave them be), then the shadow column.
        assertThat(plan.expand()).containsExactly("ALTER TABLE \"dw\".\"dim_customer\" ADD COLUMN \"_ls_touched\" "
                + "boolean;", "ALTER TABLE \"dw\".\"dim_customer\" ADD COLUMN \"_ls_next_city\" character varying(80);");
        assertThat(plan.rebuilds()).containsExactly(new MigrationPlan.Rebuild("customer", "\"dw\".\"dim_customer\"",
                "city", "derived again in its new type character varying(80)", Optional.of("_ls_next_city"),
                Optional.of("city")));
        assertThat(plan.switchOver()).containsExactly(
                "ALTER TABLE \"dw\".\"dim_customer\" RENAME COLUMN \"city\" TO \"_ls_prev_city\";",
                "ALTER TABLE \"dw\".\"dim_customer\" DROP COLUMN \"_ls_touched\";",
                "ALTER TABLE \"dw\".\"dim_customer\" RENAME COLUMN \"_ls_next_city\" TO \"city\";");
        assertThat(plan.switchDown()).containsExactly(
                "ALTER TABLE \"dw\".\"dim_customer\" RENAME COLUMN \"_ls_prev_city\" TO \"city\";",
                "ALTER TABLE \"dw\".\"dim_customer\" RENAME COLUMN \"city\" TO \"_ls_next_city\";",
                "ALTER TABLE \"dw\".\"dim_customer\" ADD COLUMN \"_ls_touched\" boolean;");
        assertThat(plan.contract()).containsExactly("ALTER TABLE \"dw\".\"dim_customer\" DROP COLUMN "
                + "\"_ls_prev_city\";");
        assertThat(plan.expandDown()).as("the mark goes with the switch, or with the expand's down script")
                .contains("ALTER TABLE \"dw\".\"dim_customer\" DROP COLUMN IF EXISTS \"_ls_touched\";");
        assertThat(plan.breaking()).containsExactly(new MigrationPlan.Breaking("dw", "dim_customer",
                Optional.of("city"), "changes type to character varying(80)"));
        // The switch's renames are the switch itself, not the renaming-column error.
        assertThat(MigrationLint.lint(plan.scripts(3), LintContext.empty().withDefaultSchema("dw")
                .withTableRows(Map.of("dw.dim_customer", 10L))).blocksDeploy()).isFalse();
    }

    @Test
    void shouldAddANewMeasureUnderItsNameOnlyAtTheSwitchAndRebuildAChangedExpressionBesideTheOldValues() {
        String next = DEPLOYED.replace("measures: { amount: amount, quantity: quantity }",
                "measures: { amount: amount * 2, quantity: quantity, cost: amount }");
        List<DerivedColumn> types = new ArrayList<>(types());
        types.add(new DerivedColumn("fact_item", "cost", "numeric", "facts.item.measures.cost"));
        MigrationPlan plan = plan(DEPLOYED, next, types);

        assertThat(plan.expand()).containsExactlyInAnyOrder(
                "ALTER TABLE \"dw\".\"fact_item\" ADD COLUMN \"_ls_touched\" boolean;",
                "ALTER TABLE \"dw\".\"fact_item\" ADD COLUMN \"_ls_next_cost\" numeric;",
                "ALTER TABLE \"dw\".\"fact_item\" ADD COLUMN \"_ls_next_amount\" numeric;");
        assertThat(plan.rebuilds()).extracting(r -> r.column() + " into " + r.into().orElseThrow() + " else "
                + r.fallback().orElse("NULL")).containsExactlyInAnyOrder("cost into _ls_next_cost else NULL",
                "amount into _ls_next_amount else amount");
        assertThat(plan.switchOver()).containsExactlyInAnyOrder(
                "ALTER TABLE \"dw\".\"fact_item\" DROP COLUMN \"_ls_touched\";",
                "ALTER TABLE \"dw\".\"fact_item\" RENAME COLUMN \"_ls_next_cost\" TO \"cost\";",
                "ALTER TABLE \"dw\".\"fact_item\" RENAME COLUMN \"amount\" TO \"_ls_prev_amount\";",
                "ALTER TABLE \"dw\".\"fact_item\" RENAME COLUMN \"_ls_next_amount\" TO \"amount\";");
        assertThat(plan.switchOver().indexOf("ALTER TABLE \"dw\".\"fact_item\" RENAME COLUMN \"amount\" TO "
                + "\"_ls_prev_amount\";")).isLessThan(plan.switchOver().indexOf("ALTER TABLE \"dw\".\"fact_item\" "
                + "RENAME COLUMN \"_ls_next_amount\" TO \"amount\";"));
        assertThat(plan.contract()).containsExactly("ALTER TABLE \"dw\".\"fact_item\" DROP COLUMN "
                + "\"_ls_prev_amount\";");
        assertThat(plan.expandAltered()).containsExactly("\"dw\".\"fact_item\"");
    }

    @Test
    void shouldNameEachTableTheExpandAltersOnceAsItsStatementsNameIt() {
        List<String> expand = List.of("CREATE TABLE \"dw\".\"_ls_next_fact_x\" (id bigint);",
                "ALTER TABLE \"dw\".\"fact \"\"odd\"\" name\" ADD COLUMN \"c\" numeric;",
                "ALTER TABLE ONLY dw.plain ADD COLUMN c numeric;",
                "ALTER TABLE \"dw\".\"fact \"\"odd\"\" name\" ADD COLUMN \"d\" numeric;",
                "COMMENT ON TABLE \"dw\".\"_ls_next_fact_x\" IS 'ALTER TABLE \"dw\".\"no\" ';",
                "ALTER TABLE unqualified ADD COLUMN c numeric;");
        MigrationPlan plan = new MigrationPlan(expand, List.of(), List.of(), List.of(), List.of(), List.of(),
                List.of(), List.of(), List.of());

        assertThat(plan.expandAltered()).containsExactly("\"dw\".\"fact \"\"odd\"\" name\"", "dw.plain",
                "unqualified");
    }

    @Test
    void shouldKeepTheHistoryOfAnScd2AttributeItDropsInTheRetiredSchemaFirst() {
        String deployed = DEPLOYED.replace("customer: { from: public.customers, key: id, scd: 1,",
                "customer: { from: public.customers, key: id, scd: 2,");
        MigrationPlan plan = plan(deployed, deployed.replace("email: lower(email), city: city", "email: lower(email)")
                );

        assertThat(plan.contract()).startsWith("CREATE SCHEMA IF NOT EXISTS \"dw_retired\";",
                "DO $$BEGIN IF to_regclass(format('%I.%I', 'dw_retired', 'dim_customer__city')) IS NOT NULL THEN "
                        + "EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', 'dw_retired', 'dim_customer__city', "
                        + "left('dim_customer__city', 42) || '_' || to_char(clock_timestamp(), 'YYYYMMDDHH24MISSUS')); "
                        + "END IF; END$$;",
                "CREATE TABLE \"dw_retired\".\"dim_customer__city\" AS SELECT \"customer_key\", \"city\" FROM "
                        + "\"dw\".\"dim_customer\" WHERE NOT is_current;",
                "DO $$BEGIN EXECUTE format('COMMENT ON TABLE %I.%I IS %L', 'dw_retired', 'dim_customer__city', "
                        + "'retired at ' || now()); END$$;",
                "ALTER TABLE \"dw\".\"dim_customer\" DROP COLUMN \"city\";");
        assertThat(plan.contractDown()).containsSubsequence(
                "ALTER TABLE \"dw\".\"dim_customer\" ADD COLUMN \"city\" text;",
                "UPDATE \"dw\".\"dim_customer\" AS t SET \"city\" = r.\"city\" FROM \"dw_retired\".\"dim_customer__city\" "
                        + "AS r WHERE t.\"customer_key\" = r.\"customer_key\";");
    }

    @Test
    void shouldIndexANewLookupsJoinColumnAndRebuildOnlyTheColumnsAChangedLookupFeeds() {
        String withLookup = DEPLOYED.replace("    grain: [id]\n    dimensions: { customer: customer_id, product: "
                + "product_id }\n    measures: { amount: amount, quantity: quantity }", "    grain: [id]\n    lookup: { "
                + "prod: { from: public.products, on: product_id } }\n    dimensions: { customer: customer_id, product: "
                + "product_id }\n    measures: { amount: amount, quantity: quantity, product_name: prod.name }");
        assertThat(withLookup).as("the edit applies").isNotEqualTo(DEPLOYED);
        List<DerivedColumn> named = new ArrayList<>(types());
        named.add(new DerivedColumn("fact_item", "product_name", "text", "facts.item.measures.product_name"));

        MigrationPlan added = plan(DEPLOYED, withLookup, types(), named);

        // The lookup rebuilds nothing itself: the new measure that uses it is rebuilt into its shadow column.
        assertThat(added.indexes()).containsExactly(new MigrationPlan.ConcurrentIndex("dw_raw", "items_product_id_idx",
                List.of("CREATE INDEX CONCURRENTLY IF NOT EXISTS \"items_product_id_idx\" ON \"dw_raw\".\"items\" "
                        + "(\"product_id\");")));
        assertThat(added.rebuilds()).singleElement().satisfies(r -> assertThat(r.column()).isEqualTo("product_name"))
                .satisfies(r -> assertThat(r.into()).contains("_ls_next_product_name"));

        MigrationPlan changed = plan(withLookup, withLookup.replace("on: product_id }", "on: customer_id }"), named,
                named);

        // The measure the lookup feeds is replaced as a changed expression is; the others are not touched.
        assertThat(changed.rebuilds()).singleElement().satisfies(r -> assertThat(r.column()).isEqualTo("product_name"))
                .satisfies(r -> assertThat(r.fallback()).contains("product_name"));
        assertThat(changed.switchOver()).contains("ALTER TABLE \"dw\".\"fact_item\" RENAME COLUMN \"product_name\" "
                + "TO \"_ls_prev_product_name\";");
        assertThat(changed.indexStatements()).containsExactly("CREATE INDEX CONCURRENTLY IF NOT EXISTS "
                + "\"items_customer_id_idx\" ON \"dw_raw\".\"items\" (\"customer_id\");");
        assertThat(changed.expand()).noneSatisfy(s -> assertThat(s).contains("amount"));
        MigrationPlan dropped = plan(withLookup, DEPLOYED, named, types());
        assertThat(dropped.indexes()).as("a dropped lookup: its index stays").isEmpty();
        assertThat(dropped.contract()).noneSatisfy(s -> assertThat(s).contains("INDEX"));
    }

    @Test
    void shouldResolveANewReferencesKeyIntoAShadowColumn() {
        String next = DEPLOYED.replace("dimensions: { customer: customer_id, product: product_id }",
                "dimensions: { customer: customer_id, product: product_id, buyer: { dimension: customer, key: "
                        + "customer_id } }");
        assertThat(next).as("the edit applies").isNotEqualTo(DEPLOYED);

        MigrationPlan plan = plan(DEPLOYED, next);

        assertThat(plan.expand()).containsExactly("ALTER TABLE \"dw\".\"fact_item\" ADD COLUMN \"_ls_touched\" boolean;",
                "ALTER TABLE \"dw\".\"fact_item\" ADD COLUMN \"_ls_next_buyer_key\" bigint;");
        assertThat(plan.contract()).as("nothing to drop").isEmpty();
        assertThat(plan.rebuilds()).singleElement().satisfies(r -> assertThat(r.column()).isEqualTo("buyer_key"))
                .satisfies(r -> assertThat(r.into()).contains("_ls_next_buyer_key"))
                .satisfies(r -> assertThat(r.fallback()).isEmpty());
        assertThat(plan.switchOver()).containsExactly("ALTER TABLE \"dw\".\"fact_item\" DROP COLUMN \"_ls_touched\";",
                "ALTER TABLE \"dw\".\"fact_item\" RENAME COLUMN \"_ls_next_buyer_key\" TO \"buyer_key\";");
    }

    @Test
    void shouldDeriveANewDateReferencesKeyAndReplaceAChangedReferencesKeyKeepingTheOldOneUntilContract() {
        String deployed = DEPLOYED.replace("dimensions:\n", "dimensions:\n  date: { generated: true, from: "
                + "2020-01-01, to: 2030-12-31 }\n");
        String next = deployed.replace("dimensions: { customer: customer_id, product: product_id }",
                "dimensions: { customer: product_id, product: product_id, placed: { dimension: date, key: ordered_at } }");
        assertThat(next).as("the edit applies").isNotEqualTo(deployed);

        MigrationPlan plan = plan(deployed, next);

        assertThat(plan.expand()).contains("ALTER TABLE \"dw\".\"fact_item\" ADD COLUMN \"_ls_next_placed_key\" integer;",
                "ALTER TABLE \"dw\".\"fact_item\" ADD COLUMN \"_ls_next_customer_key\" bigint;");
        assertThat(plan.rebuilds()).allSatisfy(r -> assertThat(r.into()).isPresent())
                .extracting(MigrationPlan.Rebuild::column).containsExactlyInAnyOrder("placed_key", "customer_key");
        assertThat(plan.switchOver()).containsSubsequence("ALTER TABLE \"dw\".\"fact_item\" RENAME COLUMN "
                + "\"customer_key\" TO \"_ls_prev_customer_key\";", "ALTER TABLE \"dw\".\"fact_item\" RENAME COLUMN "
                + "\"_ls_next_customer_key\" TO \"customer_key\";");
        assertThat(plan.contract()).containsExactly("ALTER TABLE \"dw\".\"fact_item\" DROP COLUMN "
                + "\"_ls_prev_customer_key\";");
    }

    @Test
    void shouldLoadANewDimensionIntoItsOwnTableBeforeResolvingAReferenceToIt() {
        String next = DEPLOYED.replace("facts:\n", "  supplier: { from: public.products, key: id, columns: "
                + "{ label: upper(name) } }\nfacts:\n");
        MigrationPlan alone = plan(DEPLOYED, next);

        assertThat(alone.expand()).anySatisfy(s -> assertThat(s).startsWith("CREATE TABLE \"dw\".\"dim_supplier\""));
        assertThat(alone.expandDown()).containsExactly("DROP TABLE \"dw\".\"dim_supplier\";");
        assertThat(alone.rebuilds()).singleElement().satisfies(r -> assertThat(r.loadsTarget()).isTrue())
                .satisfies(r -> assertThat(r.into()).contains("dim_supplier"));

        MigrationPlan referenced = plan(DEPLOYED, next.replace("product: product_id }",
                "product: product_id, supplier: product_id }"));
        assertThat(referenced.rebuilds()).as("the dimension loaded first, then the reference resolved against it")
                .extracting(r -> r.target() + "." + r.column() + " " + r.into().orElse("-"))
                .containsExactly("supplier.* dim_supplier", "item.supplier_key _ls_next_supplier_key");
    }

    @Test
    void shouldTurnAnScd2DimensionIntoScd1AtTheSwitchRepointingFactsAndRetiringTheOlderVersions() {
        String deployed = DEPLOYED.replace("{ from: public.customers, key: id, scd: 1,",
                "{ from: public.customers, key: id, scd: 2,");
        assertThat(deployed).as("the edit applies").isNotEqualTo(DEPLOYED);

        MigrationPlan plan = plan(deployed, DEPLOYED);

        assertThat(plan.expand()).isEmpty();
        assertThat(plan.rebuilds()).isEmpty();
        assertThat(plan.switchOver()).containsSubsequence("UPDATE \"dw\".\"fact_item\" AS f SET \"customer_key\" = "
                + "c.\"customer_key\" FROM \"dw\".\"dim_customer\" AS v JOIN \"dw\".\"dim_customer\" AS c ON c.\"id\" = "
                + "v.\"id\" AND c.is_current WHERE f.\"customer_key\" = v.\"customer_key\" AND NOT v.is_current;",
                "CREATE SCHEMA IF NOT EXISTS \"dw_retired\";",
                "DELETE FROM \"dw\".\"dim_customer\" WHERE NOT is_current;",
                "CREATE UNIQUE INDEX ON \"dw\".\"dim_customer\" (\"id\");");
        assertThat(plan.switchOver()).anySatisfy(s -> assertThat(s).startsWith("CREATE TABLE "
                + "\"dw_retired\".\"dim_customer__versions\" AS SELECT \"customer_key\", \"id\", ").endsWith(
                " FROM \"dw\".\"dim_customer\" WHERE NOT is_current;"));
        assertThat(plan.switchDown()).anySatisfy(s -> assertThat(s).startsWith("INSERT INTO \"dw\".\"dim_customer\" ("));
        assertThat(plan.contract()).contains("ALTER TABLE \"dw\".\"dim_customer\" DROP COLUMN valid_from, DROP COLUMN "
                + "valid_to, DROP COLUMN is_current;");
    }

    @Test
    void shouldCreateAnAddedSourceTablesRawTableAndDropADroppedOnesAtContract() {
        String deployed = DEPLOYED;
        String next = deployed.replace("public.products]", "public.products, public.suppliers]");

        MigrationPlan added = plan(deployed, next);

        assertThat(added.expand()).singleElement().satisfies(s -> assertThat(s).startsWith("CREATE TABLE "
                + "\"dw_raw\".\"suppliers\" (").contains("PRIMARY KEY (\"id\")"));
        assertThat(added.expandDown()).containsExactly("DROP TABLE \"dw_raw\".\"suppliers\";");
        MigrationPlan dropped = plan(next, deployed);
        assertThat(dropped.contract()).containsExactly("DROP TABLE \"dw_raw\".\"suppliers\";");
        assertThat(dropped.breaking()).singleElement().satisfies(b -> assertThat(b.change()).isEqualTo("dropped"));
        MigrationPlan withReader = plan(deployed, next.replace("facts:\n", "  supplier: { from: public.suppliers, "
                + "key: id, columns: { name: name } }\nfacts:\n"));
        assertThat(withReader.rebuilds()).as("what reads the new table waits for its snapshot")
                .anySatisfy(r -> assertThat(r.into()).isEmpty());
    }

    @Test
    void shouldDeleteWhatASoftDeleteKeptAtContractAfterKeepingIt() {
        MigrationPlan plan = plan(DEPLOYED, DEPLOYED.replace("grain: [id]\n", "grain: [id]\n    on_delete: hard\n"));

        assertThat(plan.contract()).containsSubsequence("CREATE SCHEMA IF NOT EXISTS \"dw_retired\";",
                "CREATE TABLE \"dw_retired\".\"fact_item__deleted\" AS SELECT * FROM \"dw\".\"fact_item\" WHERE "
                        + "is_deleted;", "DO $$BEGIN EXECUTE format('COMMENT ON TABLE %I.%I IS %L', 'dw_retired', "
                        + "'fact_item__deleted', 'retired at ' || now()); END$$;",
                "DELETE FROM \"dw\".\"fact_item\" WHERE is_deleted;").hasSize(5);
        assertThat(plan.contract().get(1)).as("a copy an earlier deployment left is set aside, kept")
                .startsWith("DO $$BEGIN IF to_regclass(format('%I.%I', 'dw_retired', 'fact_item__deleted')) IS NOT "
                        + "NULL THEN EXECUTE format('ALTER TABLE %I.%I RENAME TO %I'");
        assertThat(plan.contractDown()).containsExactly("INSERT INTO \"dw\".\"fact_item\" SELECT * FROM "
                + "\"dw_retired\".\"fact_item__deleted\";", "DROP TABLE \"dw_retired\".\"fact_item__deleted\";");
        assertThat(plan(DEPLOYED.replace("grain: [id]\n", "grain: [id]\n    on_delete: hard\n"), DEPLOYED).isEmpty())
                .as("hard to soft: no DDL").isTrue();
    }

    @Test
    void shouldAddTheDaysOfAWiderDateRangeAtExpand() {
        String deployed = DEPLOYED.replace("dimensions:\n", "dimensions:\n  date: { generated: true, from: "
                + "2020-01-01, to: 2030-12-31 }\n");
        MigrationPlan plan = plan(deployed, deployed.replace("to: 2030-12-31", "to: 2035-12-31"));

        assertThat(plan.expand()).singleElement().satisfies(s -> assertThat(s).startsWith("INSERT INTO "
                + "\"dw\".\"dim_date\" SELECT to_char(d::date, 'YYYYMMDD')::integer, ").endsWith(" FROM generate_series("
                + "date '2020-01-01', date '2035-12-31', interval '1 day') AS d ON CONFLICT DO NOTHING;"));
        assertThat(plan.expandDown()).as("no day is removed").isEmpty();
        assertThat(MigrationLint.lint(plan.scripts(3), LintContext.empty().withDefaultSchema("dw")
                .withTableRows(Map.of("dw.dim_date", 4000L))).blocksDeploy()).isFalse();
    }

    @Test
    void shouldNeedNothingForTheSameDefinition() {
        assertThat(plan(DEPLOYED, DEPLOYED).isEmpty()).isTrue();
    }

    private static MigrationPlan plan(String deployed, String next) {
        return plan(deployed, next, types());
    }

    private static MigrationPlan plan(String deployed, String next, List<DerivedColumn> nextTypes) {
        return plan(deployed, next, types(), nextTypes);
    }

    private static MigrationPlan plan(String deployed, String next, List<DerivedColumn> deployedTypes,
            List<DerivedColumn> nextTypes) {
        PipelineDefinition before = definition(deployed);
        PipelineDefinition after = definition(next);
        StarSchema deployedStar = StarSchema.of(before, SOURCES, deployedTypes);
        StarSchema nextStar = StarSchema.of(after, SOURCES, typesOf(after, nextTypes));
        return MigrationPlan.of(DefinitionDiff.between(before, after).withColumnTypes(deployedStar, nextStar),
                deployedStar, nextStar);
    }

    /** The types of every derived column of {@code definition}: those given, the new facts' measures. */
    private static List<DerivedColumn> typesOf(PipelineDefinition definition, List<DerivedColumn> given) {
        List<DerivedColumn> types = new ArrayList<>(given);
        if (definition.facts().containsKey("item_count")) {
            types.add(new DerivedColumn("fact_item_count", "quantity", "integer",
                    "facts.item_count.measures.quantity"));
        }
        if (definition.facts().containsKey("item_count_x")) {
            types.add(new DerivedColumn("fact_item_count_x", "amount", "numeric",
                    "facts.item_count_x.measures.amount"));
        }
        if (definition.dimensions().containsKey("supplier")) {
            types.add(new DerivedColumn("dim_supplier", "label", "text", "dimensions.supplier.columns.label"));
            types.add(new DerivedColumn("dim_supplier", "name", "text", "dimensions.supplier.columns.name"));
        }
        if (!definition.dimensions().containsKey("product")) {
            types.removeIf(t -> t.table().equals("dim_product"));
        }
        return types;
    }

    private static List<DerivedColumn> types() {
        return List.of(
                new DerivedColumn("dim_customer", "email", "text", "dimensions.customer.columns.email"),
                new DerivedColumn("dim_customer", "city", "text", "dimensions.customer.columns.city"),
                new DerivedColumn("dim_product", "name", "text", "dimensions.product.columns.name"),
                new DerivedColumn("fact_item", "amount", "numeric", "facts.item.measures.amount"),
                new DerivedColumn("fact_item", "quantity", "integer", "facts.item.measures.quantity"));
    }

    private static PipelineDefinition definition(String text) {
        ParsedDefinition parsed = DefinitionParser.create().parse("unit.yaml", text);
        assertThat(parsed.errors()).as(text).isEmpty();
        return parsed.definition().orElseThrow();
    }
}
