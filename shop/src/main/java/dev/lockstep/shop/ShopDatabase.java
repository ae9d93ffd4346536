package dev.lockstep.shop;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The shop's OLTP schema, the source of {@code examples/shop/pipeline.yaml}: customers, categories, products, orders
 * and their items, with foreign keys, money as {@code numeric}, times as {@code timestamptz} and the order status
 * as an enum — and a seed of rows for the initial snapshot.
 */
public final class ShopDatabase {

    /** Categories in the seed (ids 1..CATEGORIES). */
    public static final int CATEGORIES = 12;

    static final String[] CITIES = {"Paris", "Lyon", "Marseille", "Berlin", "Hamburg", "Madrid", "Rome", "Vienna",
        "Oslo", "Lisbon", "Prague", "Dublin"};
    static final String[] SEGMENTS = {"standard", "gold", "platinum"};

    private final int customers;
    private final int products;
    private final int orders;

    /** A shop of {@code customers} customers, {@code products} products and {@code orders} orders (3 items each). */
    public ShopDatabase(int customers, int products, int orders) {
        if (customers < 10 || products < 10 || orders < 1) {
            throw new IllegalArgumentException("a shop needs at least 10 customers, 10 products and 1 order");
        }
        this.customers = customers;
        this.products = products;
        this.orders = orders;
    }

    /** The demo's shop: 2,000 customers, 300 products, 3,000 orders (9,000 items). */
    public static ShopDatabase demo() {
        return new ShopDatabase(2_000, 300, 3_000);
    }

    public int customers() {
        return customers;
    }

    public int products() {
        return products;
    }

    public int orders() {
        return orders;
    }

    /** Items per seeded order; seeded order {@code o} has items {@code 3o-2 .. 3o}. */
    public static final int SEED_ITEMS_PER_ORDER = 3;

    /** Returns true when seeded customer {@code id} has no email (a row the not_null rule quarantines). */
    static boolean seededWithoutEmail(long id) {
        return id % 97 == 0;
    }

    /** Creates the schema in the connection's database (public schema) and seeds it, in one transaction. */
    public void create(Connection c) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'delivered', 'cancelled')");
            s.execute("CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email text, city text, "
                    + "segment text, created_at timestamptz NOT NULL DEFAULT now())");
            s.execute("CREATE TABLE categories (id int PRIMARY KEY, name text NOT NULL)");
            s.execute("CREATE TABLE products (id bigint PRIMARY KEY, name text NOT NULL, sku text NOT NULL, "
                    + "category_id int REFERENCES categories, price numeric(10,2) NOT NULL)");
            s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers, "
                    + "created_at timestamptz NOT NULL DEFAULT now(), status order_status NOT NULL DEFAULT 'new')");
            s.execute("CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders "
                    + "ON DELETE CASCADE, product_id bigint NOT NULL REFERENCES products, quantity int NOT NULL, "
                    + "unit_price numeric(10,2) NOT NULL, discount_pct numeric(5,2))");
            s.execute("CREATE INDEX ON orders (customer_id)");
            s.execute("CREATE INDEX ON order_items (order_id)");
            s.execute("INSERT INTO categories SELECT g, (ARRAY['Books','Music','Garden','Kitchen','Toys','Sports',"
                    + "'Office','Beauty','Tools','Games','Pets','Travel'])[g] FROM generate_series(1, " + CATEGORIES
                    + ") g");
            s.execute("INSERT INTO customers SELECT g, 'Customer ' || g, CASE WHEN g % 97 = 0 THEN NULL ELSE "
                    + "'Customer.' || g || '@Example.org' END, (ARRAY[" + array(CITIES) + ",NULL])[1 + g % "
                    + (CITIES.length + 1) + "], (ARRAY[" + array(SEGMENTS) + ",NULL])[1 + g % "
                    + (SEGMENTS.length + 1) + "], timestamptz '2024-01-01 00:00+00' + g * interval '7 hours' "
                    + "FROM generate_series(1::bigint, " + customers + ") g");
            s.execute("INSERT INTO products SELECT g, 'Product ' || g, 'sku-' || g, CASE WHEN g % 41 = 0 THEN NULL "
                    + "ELSE 1 + g % " + CATEGORIES + " END, 2 + (g * 37 % 9000) / 100.0 FROM generate_series(1::bigint, "
                    + products + ") g");
            s.execute("INSERT INTO orders SELECT g, 1 + (g * 7919) % " + customers + ", timestamptz '2026-01-01 "
                    + "00:00+00' + (g * 7717 % 400000) * interval '1 minute', (ARRAY['new','paid','shipped',"
                    + "'delivered'])[1 + g % 4]::order_status FROM generate_series(1::bigint, " + orders + ") g");
            s.execute("INSERT INTO order_items SELECT 3 * o.id - 3 + l, o.id, 1 + (o.id * 31 + l * 7) % " + products
                    + ", 1 + (o.id + l) % 5, p.price, CASE WHEN (o.id + l) % 4 = 0 THEN NULL ELSE ((o.id + l) % 3) "
                    + "* 5 END FROM orders o CROSS JOIN generate_series(1, 3) l JOIN products p ON p.id = 1 + "
                    + "(o.id * 31 + l * 7) % " + products);
            s.execute("ANALYZE");
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    private static String array(String[] values) {
        StringBuilder sql = new StringBuilder();
        for (String value : values) {
            sql.append(sql.isEmpty() ? "" : ",").append('\'').append(value).append('\'');
        }
        return sql.toString();
    }
}
