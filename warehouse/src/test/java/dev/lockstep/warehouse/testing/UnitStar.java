package dev.lockstep.warehouse.testing;

import static dev.lockstep.warehouse.testing.SourceTables.table;

import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.live.DerivedColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.warehouse.star.StarSchema;
import java.util.List;
import java.util.Map;

/**
 * A small star schema typed without a database — an SCD 2 dimension with PII, a generated date dimension, a
 * partitioned fact with chained lookups and a text measure — for tests of the model and the DDL generated from it.
 */
public final class UnitStar {

    private UnitStar() {}

    public static final String DEFINITION = """
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
                  cust: { from: public.customers, on: ord.customer_id }
                  ord: { from: public.orders, on: order_id }
                dimensions: { customer: ord.customer_id, date: ord.created_at }
                measures: { amount: amount, city: cust.city }
                partition_by: date
            """;

    public static final Map<TableId, SourceTable> SOURCES = Map.of(
            TableId.parse("public.items"), table("public.items", "id bigint", "order_id bigint", "amount numeric"),
            TableId.parse("public.orders"), table("public.orders", "id bigint", "customer_id bigint",
                    "created_at timestamp with time zone"),
            TableId.parse("public.customers"), table("public.customers", "id bigint", "email text", "city text"));

    public static final List<DerivedColumn> TYPES = List.of(
            new DerivedColumn("dim_customer", "email", "text", "dimensions.customer.columns.email"),
            new DerivedColumn("fact_item", "amount", "numeric", "facts.item.measures.amount"),
            new DerivedColumn("fact_item", "city", "text", "facts.item.measures.city"));

    /** Returns the star schema of {@link #DEFINITION}, typed with {@link #TYPES}. */
    public static StarSchema star() {
        ParsedDefinition parsed = DefinitionParser.create().parse("unit.yaml", DEFINITION);
        if (!parsed.isValid()) {
            throw new IllegalStateException("the unit star's definition is invalid: " + parsed.errors());
        }
        return StarSchema.of(parsed.definition().orElseThrow(), SOURCES, TYPES);
    }
}
