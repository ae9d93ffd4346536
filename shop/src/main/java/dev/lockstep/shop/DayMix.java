package dev.lockstep.shop;

import dev.lockstep.shop.ShopWorkload.Step;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The day mix ({@link ShopWorkload.Mix#DAY}): one transaction of a randomly chosen kind at a time — new orders with
 * their items, orders moving through their statuses, customers moving city or segment or correcting their name or
 * email, new customers, price and category changes, deleted items, cancelled orders, deleted customers — and a few
 * rows the shop example's quality rules catch: customers without an email or with a segment outside the accepted
 * values (quarantined), duplicate or malformed emails (warned), items with a zero quantity or a discount over 100 %
 * (quarantined), some of which are fixed later.
 *
 * <p>Keeps a mirror of the source rows it chooses from, and tells its observers of every customer row it writes.
 */
final class DayMix implements TransactionMix {

    private static final class Customer {
        String city;
        String segment;
        String email;
        boolean valid;
        boolean ordered;
        boolean deleted;
    }

    private final ShopDatabase shop;
    private final SplittableRandom random;
    private final List<ShopWorkload.CustomerObserver> observers = new ArrayList<>();
    private final Map<Long, Customer> customers = new HashMap<>();
    private final List<Long> customerIds = new ArrayList<>();
    private final List<Long> invalidCustomers = new ArrayList<>();
    private final List<Long> liveOrders = new ArrayList<>();
    private final Map<Long, List<Long>> itemsOfOrder = new HashMap<>();
    private final List<Long> liveItems = new ArrayList<>();
    private final Set<Long> deadItems = new HashSet<>();
    private final List<Long> badItems = new ArrayList<>();
    private long nextCustomer;
    private long nextOrder;
    private long nextItem;

    /** The mix over {@code shop}'s day seed, mirrored here row for row; deterministic for {@code seed}. */
    DayMix(ShopDatabase shop, long seed) {
        this.shop = shop;
        this.random = new SplittableRandom(seed);
        for (long id = 1; id <= shop.customers(); id++) {
            Customer c = new Customer();
            int city = (int) (1 + id % (ShopDatabase.CITIES.length + 1)) - 1;
            int segment = (int) (1 + id % (ShopDatabase.SEGMENTS.length + 1)) - 1;
            c.city = city < ShopDatabase.CITIES.length ? ShopDatabase.CITIES[city] : null;
            c.segment = segment < ShopDatabase.SEGMENTS.length ? ShopDatabase.SEGMENTS[segment] : null;
            c.email = ShopDatabase.seededWithoutEmail(id) ? null : "Customer." + id + "@Example.org";
            c.valid = c.email != null;
            add(id, c);
        }
        for (long order = 1; order <= shop.orders(); order++) {
            liveOrders.add(order);
            customers.get(1 + (order * 7919) % shop.customers()).ordered = true;
            List<Long> items = new ArrayList<>();
            for (int l = 1; l <= ShopDatabase.SEED_ITEMS_PER_ORDER; l++) {
                long item = ShopDatabase.SEED_ITEMS_PER_ORDER * order - ShopDatabase.SEED_ITEMS_PER_ORDER + l;
                items.add(item);
                liveItems.add(item);
            }
            itemsOfOrder.put(order, items);
        }
        nextCustomer = shop.customers() + 1L;
        nextOrder = shop.orders() + 1L;
        nextItem = shop.items() + 1;
    }

    @Override
    public void watch(ShopWorkload.CustomerObserver observer) {
        observers.add(observer);
        for (long id : customerIds) {
            Customer c = customers.get(id);
            observer.written(id, c.city, c.segment, c.valid);
        }
    }

    private void add(long id, Customer c) {
        customers.put(id, c);
        customerIds.add(id);
        if (!c.valid) {
            invalidCustomers.add(id);
        }
        written(id, c);
    }

    private void written(long id, Customer c) {
        for (ShopWorkload.CustomerObserver observer : observers) {
            observer.written(id, c.city, c.segment, c.valid);
        }
    }

    @Override
    public Step next(Connection c) throws SQLException {
        int roll = random.nextInt(100);
        if (roll < 35) {
            return newOrder(c);
        } else if (roll < 50) {
            return advanceOrder(c);
        } else if (roll < 60) {
            return moveCustomer(c);
        } else if (roll < 63) {
            return resegmentCustomer(c);
        } else if (roll < 68) {
            return correctCustomer(c);
        } else if (roll < 76) {
            return newCustomer(c);
        } else if (roll < 80) {
            return fixCustomer(c);
        } else if (roll < 83) {
            return fixItem(c);
        } else if (roll < 88) {
            return changeProduct(c);
        } else if (roll < 95) {
            return deleteItem(c);
        } else if (roll < 99) {
            return cancelOrder(c);
        }
        return deleteCustomer(c);
    }
    private Step newOrder(Connection c) throws SQLException {
        long order = nextOrder++;
        long customer = liveCustomer();
        int changed = update(c, "INSERT INTO orders (id, customer_id) VALUES (?, ?)", order, customer);
        customers.get(customer).ordered = true;
        int lines = 1 + random.nextInt(4);
        List<Long> items = new ArrayList<>();
        for (int l = 0; l < lines; l++) {
            long item = nextItem++;
            long product = 1 + random.nextInt(shop.products());
            int quantity = 1 + random.nextInt(5);
            String discount = random.nextInt(4) == 0 ? null : Integer.toString(5 * random.nextInt(4));
            int bad = random.nextInt(100);
            if (bad < 3) {
                quantity = 0; // the range rule quarantines it
                badItems.add(item);
            } else if (bad < 5) {
                discount = "120"; // amount_not_negative quarantines it
                badItems.add(item);
            }
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO order_items (id, order_id, product_id, "
                    + "quantity, unit_price, discount_pct) SELECT ?, ?, id, ?, price, ?::numeric FROM products "
                    + "WHERE id = ?")) {
                insert.setLong(1, item);
                insert.setLong(2, order);
                insert.setInt(3, quantity);
                insert.setString(4, discount);
                insert.setLong(5, product);
                changed += insert.executeUpdate();
            }
            items.add(item);
            liveItems.add(item);
        }
        itemsOfOrder.put(order, items);
        liveOrders.add(order);
        return new Step(changed, "new order");
    }

    private Step advanceOrder(Connection c) throws SQLException {
        long order = liveOrders.get(random.nextInt(liveOrders.size()));
        return new Step(update(c, "UPDATE orders SET status = CASE status WHEN 'new' THEN 'paid' WHEN 'paid' THEN "
                + "'shipped' WHEN 'shipped' THEN 'delivered' ELSE status END::order_status WHERE id = ?", order),
                "order status");
    }

    private Step moveCustomer(Connection c) throws SQLException {
        long id = validCustomer();
        Customer customer = customers.get(id);
        String city = ShopDatabase.CITIES[random.nextInt(ShopDatabase.CITIES.length)];
        if (city.equals(customer.city)) {
            city = city + " Nord";
        }
        customer.city = city;
        int changed = update(c, "UPDATE customers SET city = ? WHERE id = ?", city, id);
        written(id, customer);
        return new Step(changed, "customer moved");
    }

    private Step resegmentCustomer(Connection c) throws SQLException {
        long id = validCustomer();
        Customer customer = customers.get(id);
        String segment = ShopDatabase.SEGMENTS[random.nextInt(ShopDatabase.SEGMENTS.length)];
        customer.segment = segment;
        int changed = update(c, "UPDATE customers SET segment = ? WHERE id = ?", segment, id);
        written(id, customer);
        return new Step(changed, "customer segment");
    }

    private Step correctCustomer(Connection c) throws SQLException {
        long id = validCustomer();
        Customer customer = customers.get(id);
        if (random.nextInt(5) == 0) {
            customer.email = customers.get(validCustomer()).email; // a duplicate: the unique rule warns
        } else {
            customer.email = "customer." + id + "." + random.nextInt(1000) + "@example.net";
        }
        return new Step(update(c, "UPDATE customers SET email = ?, name = name || '.' WHERE id = ?", customer.email,
                id), "customer corrected");
    }

    private Step newCustomer(Connection c) throws SQLException {
        long id = nextCustomer++;
        Customer customer = new Customer();
        customer.city = random.nextInt(10) == 0 ? null : ShopDatabase.CITIES[random.nextInt(ShopDatabase.CITIES
                .length)];
        customer.segment = ShopDatabase.SEGMENTS[random.nextInt(ShopDatabase.SEGMENTS.length)];
        customer.email = "new." + id + "@example.com";
        customer.valid = true;
        int kind = random.nextInt(100);
        if (kind < 15) {
            customer.email = null; // not_null quarantines it
            customer.valid = false;
        } else if (kind < 25) {
            customer.segment = "vip"; // accepted_values quarantines it
            customer.valid = false;
        } else if (kind < 35) {
            customer.email = customers.get(validCustomer()).email; // unique warns
        } else if (kind < 40) {
            customer.email = "nobody"; // regex warns
        }
        int changed = update(c, "INSERT INTO customers (id, name, email, city, segment) VALUES (?, ?, ?, ?, ?)", id,
                "Customer " + id, customer.email, customer.city, customer.segment);
        add(id, customer);
        return new Step(changed, "new customer");
    }

    private Step fixCustomer(Connection c) throws SQLException {
        if (invalidCustomers.isEmpty()) {
            return newCustomer(c);
        }
        long id = invalidCustomers.remove(random.nextInt(invalidCustomers.size()));
        Customer customer = customers.get(id);
        customer.email = "fixed." + id + "@example.com";
        customer.segment = "standard";
        customer.valid = true;
        int changed = update(c, "UPDATE customers SET email = ?, segment = ? WHERE id = ?", customer.email,
                customer.segment, id);
        written(id, customer);
        return new Step(changed, "customer fixed");
    }

    private Step fixItem(Connection c) throws SQLException {
        while (!badItems.isEmpty()) {
            long item = badItems.remove(random.nextInt(badItems.size()));
            if (!deadItems.contains(item)) {
                return new Step(update(c, "UPDATE order_items SET quantity = 1, discount_pct = 10 WHERE id = ?",
                        item), "item fixed");
            }
        }
        return newOrder(c);
    }

    private Step changeProduct(Connection c) throws SQLException {
        long product = 1 + random.nextInt(shop.products());
        if (random.nextBoolean()) {
            return new Step(update(c, "UPDATE products SET price = price + 0.50 WHERE id = ?", product), "reprice");
        }
        long category = 1 + random.nextInt(shop.categories());
        return new Step(update(c, "UPDATE products SET category_id = ? WHERE id = ?", category, product),
                "recategorise");
    }

    private Step deleteItem(Connection c) throws SQLException {
        for (int attempt = 0; attempt < 10 && !liveItems.isEmpty(); attempt++) {
            int index = random.nextInt(liveItems.size());
            long item = liveItems.get(index);
            liveItems.set(index, liveItems.get(liveItems.size() - 1));
            liveItems.remove(liveItems.size() - 1);
            if (deadItems.add(item)) {
                return new Step(update(c, "DELETE FROM order_items WHERE id = ?", item), "item deleted");
            }
        }
        return newOrder(c);
    }

    private Step cancelOrder(Connection c) throws SQLException {
        int index = random.nextInt(liveOrders.size());
        long order = liveOrders.get(index);
        liveOrders.set(index, liveOrders.get(liveOrders.size() - 1));
        liveOrders.remove(liveOrders.size() - 1);
        int changed = 0;
        for (long item : itemsOfOrder.remove(order)) {
            if (deadItems.add(item)) {
                changed++; // deleted by the foreign key's cascade
            }
        }
        changed += update(c, "DELETE FROM orders WHERE id = ?", order);
        return new Step(changed, "order cancelled");
    }

    private Step deleteCustomer(Connection c) throws SQLException {
        for (int attempt = 0; attempt < 20; attempt++) {
            long id = customerIds.get(random.nextInt(customerIds.size()));
            Customer customer = customers.get(id);
            if (!customer.ordered && !customer.deleted) {
                customer.deleted = true;
                invalidCustomers.remove(id);
                return new Step(update(c, "DELETE FROM customers WHERE id = ?", id), "customer deleted");
            }
        }
        return newCustomer(c);
    }

    private long liveCustomer() {
        while (true) {
            long id = customerIds.get(random.nextInt(customerIds.size()));
            if (!customers.get(id).deleted) {
                return id;
            }
        }
    }

    private long validCustomer() {
        while (true) {
            long id = customerIds.get(random.nextInt(customerIds.size()));
            Customer customer = customers.get(id);
            if (!customer.deleted && customer.valid) {
                return id;
            }
        }
    }

    private static int update(Connection c, String sql, Object... values) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                statement.setObject(i + 1, values[i]);
            }
            return statement.executeUpdate();
        }
    }
}
