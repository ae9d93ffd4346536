package dev.lockstep.benchmarks;

import dev.lockstep.core.stream.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The apply benchmark's source: a shop (customers, categories, products, orders, order items), seeded before the
 * extract starts, then changed in transactions generated with SQL — each inserts 25 orders with 3 to 5 lines
 * (about 100), ships 10 earlier orders, moves 2 customers to another city (a new SCD 2 version), reprices one
 * product and deletes one earlier line: about 139 row changes per transaction.
 */
final class ShopWorkload {

    static final List<TableId> TABLES = List.of(TableId.parse("public.customers"), TableId.parse("public.categories"),
            TableId.parse("public.products"), TableId.parse("public.orders"), TableId.parse("public.order_items"));

    static final int CATEGORIES = 50;
    static final int ORDERS_PER_TRANSACTION = 25;

    private final int customers;
    private final int products;

    ShopWorkload(int changes) {
        this.customers = Math.max(1_000, changes / 10);
        this.products = Math.max(200, changes / 40);
    }

    /** Returns how many rows {@link #seed} writes (the snapshot's rows). */
    int seedRows() {
        return customers + CATEGORIES + products;
    }

    int customers() {
        return customers;
    }

    int products() {
        return products;
    }

    /** Creates the source tables and the rows the snapshot carries. */
    void seed(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE customers (id bigint PRIMARY KEY, name text, email text, city text, segment text, "
                    + "created_at timestamptz)");
            s.execute("CREATE TABLE categories (id int PRIMARY KEY, name text)");
            s.execute("CREATE TABLE products (id bigint PRIMARY KEY, name text, category_id int, price numeric(10,2), "
                    + "sku text)");
            s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, created_at timestamptz, "
                    + "status text, total numeric(12,2))");
            s.execute("CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint, product_id bigint, "
                    + "quantity int, unit_price numeric(10,2), discount_pct numeric(5,2))");
            s.execute("INSERT INTO categories SELECT g, 'Category ' || g FROM generate_series(1, " + CATEGORIES
                    + ") g");
            s.execute("INSERT INTO customers SELECT g, 'Customer ' || g, 'Customer.' || g || '@Example.org', "
                    + "(ARRAY['Paris','Lyon','Berlin','Madrid','Rome','Oslo','Vienna',NULL])[1 + g % 8], "
                    + "(ARRAY['standard','gold','platinum',NULL])[1 + g % 4], "
                    + "timestamptz '2024-01-01 00:00+00' + g * interval '17 minutes' "
                    + "FROM generate_series(1, " + customers + ") g");
            s.execute("INSERT INTO products SELECT g, 'Product ' || g, CASE WHEN g % 97 = 0 THEN NULL ELSE 1 + g % "
                    + CATEGORIES + " END, 1 + (g * 37 % 20000) / 100.0, 'sku-' || g FROM generate_series(1, "
                    + products + ") g");
        }
    }

    /** What {@link #write} committed: row changes and source transactions. */
    record Written(long changes, long transactions) {}

    /** Writes source transactions until at least {@code changes} row changes are committed. */
    Written write(Connection c, long changes) throws SQLException {
        c.setAutoCommit(false);
        try (PreparedStatement orders = c.prepareStatement("INSERT INTO orders SELECT g, 1 + (g * 7919) % ?, "
                + "timestamptz '2026-08-01 00:00+00' + (g * 7717 % 129600) * interval '1 minute', 'new', "
                + "(g % 500) + 9.99 FROM generate_series(?::bigint, ?::bigint) g");
                PreparedStatement lines = c.prepareStatement("INSERT INTO order_items SELECT o.id * 8 + l, o.id, "
                        + "1 + (o.id * 31 + l * 7) % ?, 1 + (o.id + l) % 5, 1 + ((o.id * 13 + l) % 9000) / 100.0, "
                        + "CASE WHEN (o.id + l) % 4 = 0 THEN NULL ELSE ((o.id + l) % 3) * 5 END "
                        + "FROM orders o, generate_series(1, 3 + (o.id % 3)::int) l WHERE o.id BETWEEN ? AND ?");
                PreparedStatement ship = c.prepareStatement("UPDATE orders SET status = 'shipped' WHERE id IN "
                        + "(SELECT 1 + (? * 10 + g) * 7 % ? FROM generate_series(0, 9) g)");
                PreparedStatement move = c.prepareStatement("UPDATE customers SET city = 'City ' || (? % 200) "
                        + "WHERE id IN (1 + (? * 2) % ?, 1 + (? * 2 + 1) % ?)");
                PreparedStatement reprice = c.prepareStatement("UPDATE products SET price = price + 0.10 WHERE id = "
                        + "1 + ? % ?");
                PreparedStatement delete = c.prepareStatement("DELETE FROM order_items WHERE id = ?")) {
            long written = 0;
            long t = 0;
            for (; written < changes; t++) {
                long first = t * ORDERS_PER_TRANSACTION + 1;
                long last = first + ORDERS_PER_TRANSACTION - 1;
                written += update(orders, customers, first, last);
                written += update(lines, products, first, last);
                if (t > 0) {
                    written += update(ship, t, first - 1);
                    written += update(delete, ((1 + (t * 13) % (first - 1)) * 8) + 1);
                }
                written += update(move, t, t, customers, t, customers);
                written += update(reprice, t, products);
                c.commit();
            }
            return new Written(written, t);
        }
    }

    private static int update(PreparedStatement statement, long... values) throws SQLException {
        for (int i = 0; i < values.length; i++) {
            statement.setLong(i + 1, values[i]);
        }
        return statement.executeUpdate();
    }

    /** Returns the shop's definition: SCD 2 customer, SCD 1 product with its category, dates, two facts. */
    static String definition(String pipeline, int port, String user, String source, String warehouse, String schema,
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
