package dev.lockstep.shop;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The bulk mix ({@link ShopWorkload.Mix#BULK}): transaction {@code t} inserts orders {@code 25t+1 .. 25t+25} with 3
 * to 5 lines each (line {@code l} of order {@code o} is item {@code 8o+l}), ships 10 earlier orders, moves 2
 * customers to another city, reprices one product and deletes one earlier line — ~139 row changes, all generated in
 * SQL. The same statements and rows for a shop of the same size, whatever the seed.
 */
final class BulkMix implements TransactionMix {

    static final int ORDERS_PER_TRANSACTION = 25;

    private static final String ORDERS = "INSERT INTO orders (id, customer_id, created_at, status, total) SELECT g, "
            + "1 + (g * 7919) % ?, timestamptz '2026-08-01 00:00+00' + (g * 7717 % 129600) * interval '1 minute', "
            + "'new', (g % 500) + 9.99 FROM generate_series(?::bigint, ?::bigint) g";
    private static final String LINES = "INSERT INTO order_items (id, order_id, product_id, quantity, unit_price, "
            + "discount_pct) SELECT o.id * 8 + l, o.id, 1 + (o.id * 31 + l * 7) % ?, 1 + (o.id + l) % 5, "
            + "1 + ((o.id * 13 + l) % 9000) / 100.0, CASE WHEN (o.id + l) % 4 = 0 THEN NULL ELSE ((o.id + l) % 3) * 5 "
            + "END FROM orders o, generate_series(1, 3 + (o.id % 3)::int) l WHERE o.id BETWEEN ? AND ?";
    private static final String SHIP = "UPDATE orders SET status = 'shipped' WHERE id IN (SELECT 1 + (? * 10 + g) * 7 "
            + "% ? FROM generate_series(0, 9) g)";
    private static final String MOVE = "UPDATE customers SET city = 'City ' || (? % 200) WHERE id IN "
            + "(1 + (? * 2) % ?, 1 + (? * 2 + 1) % ?)";
    private static final String REPRICE = "UPDATE products SET price = price + 0.10 WHERE id = 1 + ? % ?";
    private static final String DELETE = "DELETE FROM order_items WHERE id = ?";

    private final long customers;
    private final long products;
    private long t;

    BulkMix(ShopDatabase shop) {
        this.customers = shop.customers();
        this.products = shop.products();
    }

    @Override
    public ShopWorkload.Step next(Connection c) throws SQLException {
        long first = t * ORDERS_PER_TRANSACTION + 1;
        long last = first + ORDERS_PER_TRANSACTION - 1;
        int changed = update(c, ORDERS, customers, first, last);
        changed += update(c, LINES, products, first, last);
        if (t > 0) {
            changed += update(c, SHIP, t, first - 1);
            changed += update(c, DELETE, ((1 + (t * 13) % (first - 1)) * 8) + 1);
        }
        changed += update(c, MOVE, t, t, customers, t, customers);
        changed += update(c, REPRICE, t, products);
        t++;
        return new ShopWorkload.Step(changed, "bulk");
    }

    private static int update(Connection c, String sql, long... values) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                statement.setLong(i + 1, values[i]);
            }
            return statement.executeUpdate();
        }
    }
}
