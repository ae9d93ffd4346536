package dev.lockstep.shop;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The shop's pipeline definitions: {@code examples/shop/pipeline.yaml} (the day mix's: the demo, the tests, e2e,
 * chaos, peer), of which this module carries a copy, and the bulk mix's (the apply benchmarks': the same star schema
 * without rules, alerts or soft deletes, and an {@code order} fact of the orders' totals).
 */
public final class ShopDefinition {

    /** The shop's definition, relative to the repository's root. */
    public static final String EXAMPLE = "examples/shop/pipeline.yaml";

    /** The copy of {@link #EXAMPLE} built into this module. */
    private static final String RESOURCE = "pipeline.yaml";

    private ShopDefinition() {}

    /** Returns the text of {@link #EXAMPLE}, from the copy built into this module. */
    public static String text() {
        try (InputStream in = ShopDefinition.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the shop's definition is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the shop's built-in definition", e);
        }
    }

    /**
     * Returns {@link #EXAMPLE} when the working directory holds it, else a temporary copy of the built-in one,
     * deleted when the JVM exits.
     */
    public static Path file() throws IOException {
        Path example = Path.of(EXAMPLE);
        if (Files.isRegularFile(example)) {
            return example;
        }
        Path copy = Files.createTempFile("lockstep-shop-", ".yaml");
        copy.toFile().deleteOnExit();
        Files.writeString(copy, text(), StandardCharsets.UTF_8);
        return copy;
    }

    /** Returns the variables {@link #EXAMPLE} reads, for a source, a warehouse and an alert webhook. */
    public static Map<String, String> environment(String sourceUrl, String sourceUser, String warehouseUrl,
            String warehouseUser, String webhookUrl) {
        return Map.of("SHOP_SOURCE_URL", sourceUrl, "SHOP_SOURCE_USER", sourceUser,
                "SHOP_WAREHOUSE_URL", warehouseUrl, "SHOP_WAREHOUSE_USER", warehouseUser,
                "SHOP_ALERTS_WEBHOOK", webhookUrl);
    }

    /**
     * Returns the bulk mix's definition: SCD 2 customer, SCD 1 product with its category, dates, the facts
     * {@code order_line} and {@code order}; no rules. Source database {@code source} and warehouse database
     * {@code warehouse} on one server at {@code localhost:port}.
     */
    public static String bulk(String pipeline, int port, String user, String source, String warehouse, String schema,
            int batchSize) {
        return """
                pipeline: %s
                timezone: Europe/Paris
                source:
                  postgres: { host: localhost, port: %d, database: %s, user: %s }
                  tables: [public.customers, public.categories, public.products, public.orders, public.order_items]
                  snapshot: initial
                warehouse:
                  postgres: { host: localhost, port: %d, database: %s, user: %s }
                  schema: %s
                dimensions:
                  customer:
                    from: public.customers
                    key: id
                    scd: 2
                    columns:
                      name: name
                      email: lower(email)
                      city: coalesce(city, 'Unknown')
                      segment: coalesce(segment, 'standard')
                      signup_date: created_at::date
                    tracked: [city, segment]
                    pii: [email]
                  product:
                    from: public.products
                    key: id
                    scd: 1
                    lookup:
                      cat: { from: public.categories, on: category_id }
                    columns:
                      name: products.name
                      sku: upper(sku)
                      category: coalesce(cat.name, 'Uncategorised')
                      list_price: price
                  date:
                    generated: true
                    from: 2020-01-01
                    to: 2030-12-31
                facts:
                  order_line:
                    from: public.order_items
                    grain: [id]
                    lookup:
                      ord: { from: public.orders, on: order_id }
                    dimensions:
                      customer: ord.customer_id
                      product: product_id
                      date: ord.created_at
                    measures:
                      quantity: quantity
                      unit_price: unit_price
                      amount: "round(quantity * unit_price * (1 - coalesce(discount_pct, 0) / 100.0), 2)"
                    partition_by: date
                  order:
                    from: public.orders
                    grain: [id]
                    dimensions:
                      customer: customer_id
                      date: created_at
                    measures:
                      total: total
                load:
                  batch_size: %d
                  max_batch_latency: 50ms
                """.formatted(pipeline, port, source, user, port, warehouse, user, schema, batchSize);
    }
}
