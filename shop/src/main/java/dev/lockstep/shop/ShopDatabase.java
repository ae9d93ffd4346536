package dev.lockstep.shop;

import dev.lockstep.shop.ShopWorkload.Mix;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A shop's source database: the {@link ShopSchema} and the seed of rows its initial snapshot carries, sized here and
 * shaped for the {@link Mix} that will change it — the day mix's seed (12 categories, customers, products, orders
 * with 3 items each, a few rows the rules catch) or the bulk mix's (50 categories, customers and products only).
 */
public final class ShopDatabase {

    /** Items per seeded order of the day mix; seeded order {@code o} has items {@code 3o-2 .. 3o}. */
    public static final int SEED_ITEMS_PER_ORDER = 3;

    static final String[] CITIES = {"Paris", "Lyon", "Marseille", "Berlin", "Hamburg", "Madrid", "Rome", "Vienna",
        "Oslo", "Lisbon", "Prague", "Dublin"};
    static final String[] SEGMENTS = {"standard", "gold", "platinum"};

    private static final int DAY_CATEGORIES = 12;
    private static final int BULK_CATEGORIES = 50;

    private final Mix mix;
    private final int customers;
    private final int products;
    private final int orders;

    private ShopDatabase(Mix mix, int customers, int products, int orders) {
        this.mix = mix;
        this.customers = customers;
        this.products = products;
        this.orders = orders;
    }

    /** A shop for the day mix: {@code customers} customers, {@code products} products and {@code orders} orders. */
    public ShopDatabase(int customers, int products, int orders) {
        this(Mix.DAY, customers, products, orders);
        if (customers < 10 || products < 10 || orders < 1) {
            throw new IllegalArgumentException("a shop needs at least 10 customers, 10 products and 1 order");
        }
    }

    /** The demo's shop: 2,000 customers, 300 products, 3,000 orders (9,000 items). */
    public static ShopDatabase demo() {
        return new ShopDatabase(2_000, 300, 3_000);
    }

    /**
     * A shop for the bulk mix, sized for {@code changes} row changes: a customer per 10 changes (at least 1,000), a
     * product per 40 (at least 200), no orders.
     */
    public static ShopDatabase bulk(int changes) {
        return new ShopDatabase(Mix.BULK, Math.max(1_000, changes / 10), Math.max(200, changes / 40), 0);
    }

    /** Returns the mix this shop's seed is shaped for. */
    public Mix mix() {
        return mix;
    }

    public int customers() {
        return customers;
    }

    public int categories() {
        return mix == Mix.DAY ? DAY_CATEGORIES : BULK_CATEGORIES;
    }

    public int products() {
        return products;
    }

    public int orders() {
        return orders;
    }

    /** Returns the seeded order items. */
    public long items() {
        return (long) orders * SEED_ITEMS_PER_ORDER;
    }

    /** Returns the rows {@link #create} seeds: the rows of the initial snapshot. */
    public long snapshotRows() {
        return (long) customers + categories() + products + orders + items();
    }

    /** Returns true when seeded customer {@code id} has no email (a row the not_null rule quarantines). */
    static boolean seededWithoutEmail(long id) {
        return id % 97 == 0;
    }

    /** Creates the schema in the connection's database (public schema) and seeds it, in one transaction. */
    public void create(Connection c) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            ShopSchema.create(c);
            if (mix == Mix.DAY) {
                seedDay(s);
            } else {
                seedBulk(s);
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    private void seedDay(Statement s) throws SQLException {
        s.execute("INSERT INTO categories SELECT g, (ARRAY['Books','Music','Garden','Kitchen','Toys','Sports',"
                + "'Office','Beauty','Tools','Games','Pets','Travel'])[g] FROM generate_series(1, " + DAY_CATEGORIES
                + ") g");
        s.execute("INSERT INTO customers SELECT g, 'Customer ' || g, CASE WHEN g % 97 = 0 THEN NULL ELSE "
                + "'Customer.' || g || '@Example.org' END, (ARRAY[" + array(CITIES) + ",NULL])[1 + g % "
                + (CITIES.length + 1) + "], (ARRAY[" + array(SEGMENTS) + ",NULL])[1 + g % "
                + (SEGMENTS.length + 1) + "], timestamptz '2024-01-01 00:00+00' + g * interval '7 hours' "
                + "FROM generate_series(1::bigint, " + customers + ") g");
        s.execute("INSERT INTO products SELECT g, 'Product ' || g, 'sku-' || g, CASE WHEN g % 41 = 0 THEN NULL "
                + "ELSE 1 + g % " + DAY_CATEGORIES + " END, 2 + (g * 37 % 9000) / 100.0 FROM generate_series(1::bigint, "
                + products + ") g");
        s.execute("INSERT INTO orders SELECT g, 1 + (g * 7919) % " + customers + ", timestamptz '2026-01-01 "
                + "00:00+00' + (g * 7717 % 400000) * interval '1 minute', (ARRAY['new','paid','shipped',"
                + "'delivered'])[1 + g % 4]::order_status FROM generate_series(1::bigint, " + orders + ") g");
        s.execute("INSERT INTO order_items SELECT 3 * o.id - 3 + l, o.id, 1 + (o.id * 31 + l * 7) % " + products
                + ", 1 + (o.id + l) % 5, p.price, CASE WHEN (o.id + l) % 4 = 0 THEN NULL ELSE ((o.id + l) % 3) "
                + "* 5 END FROM orders o CROSS JOIN generate_series(1, 3) l JOIN products p ON p.id = 1 + "
                + "(o.id * 31 + l * 7) % " + products);
        s.execute("ANALYZE");
    }

    private void seedBulk(Statement s) throws SQLException {
        s.execute("INSERT INTO categories SELECT g, 'Category ' || g FROM generate_series(1, " + BULK_CATEGORIES
                + ") g");
        s.execute("INSERT INTO customers SELECT g, 'Customer ' || g, 'Customer.' || g || '@Example.org', "
                + "(ARRAY['Paris','Lyon','Berlin','Madrid','Rome','Oslo','Vienna',NULL])[1 + g % 8], "
                + "(ARRAY['standard','gold','platinum',NULL])[1 + g % 4], "
                + "timestamptz '2024-01-01 00:00+00' + g * interval '17 minutes' "
                + "FROM generate_series(1, " + customers + ") g");
        s.execute("INSERT INTO products (id, name, category_id, price, sku) SELECT g, 'Product ' || g, CASE WHEN "
                + "g % 97 = 0 THEN NULL ELSE 1 + g % " + BULK_CATEGORIES + " END, 1 + (g * 37 % 20000) / 100.0, "
                + "'sku-' || g FROM generate_series(1, " + products + ") g");
    }

    private static String array(String[] values) {
        StringBuilder sql = new StringBuilder();
        for (String value : values) {
            sql.append(sql.isEmpty() ? "" : ",").append('\'').append(value).append('\'');
        }
        return sql.toString();
    }
}
