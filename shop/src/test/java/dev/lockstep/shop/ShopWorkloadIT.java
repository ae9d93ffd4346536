package dev.lockstep.shop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.shop.testing.ExpectedCustomerVersions;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class ShopWorkloadIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    @Test
    void shouldSeedTheRowsItCountsForTheSnapshot() throws Exception {
        ShopDatabase day = new ShopDatabase(200, 30, 40);
        ShopDatabase bulk = ShopDatabase.bulk(20_000);
        try (Connection d = services.connect("day_seed"); Connection b = services.connect("bulk_seed")) {
            day.create(d);
            bulk.create(b);
        }

        assertThat(rows("day_seed")).isEqualTo(day.snapshotRows()).isEqualTo(200 + 12 + 30 + 40 + 120);
        assertThat(rows("bulk_seed")).isEqualTo(bulk.snapshotRows()).isEqualTo(2_000 + 50 + 500);
    }

    @Test
    void shouldCommitTheBulkMixesTransactionsOfAbout139Changes() throws Exception {
        ShopDatabase shop = ShopDatabase.bulk(20_000);
        ShopWorkload workload = new ShopWorkload(shop, 0);
        List<Integer> changes = new ArrayList<>();
        try (Connection c = services.connect("bulk")) {
            shop.create(c);
            for (int t = 0; t < 3; t++) {
                changes.add(workload.step(c).changes());
            }
        }

        // 25 orders and their 3 + id % 3 lines (100, 101, 99), 2 customers moved, a reprice; from the second on, 10
        // earlier orders shipped and an earlier line deleted.
        assertThat(changes).containsExactly(25 + 100 + 3, 25 + 101 + 3 + 11, 25 + 99 + 3 + 11);
        assertThat(workload.transactions()).isEqualTo(3);
        assertThat(services.query("bulk", "SELECT count(*) || ' ' || sum(total) FROM orders"))
                .containsExactly("75 3599.25");
    }

    @Test
    void shouldRefuseAnOracleOnTheBulkMixOrAfterTheFirstTransaction() throws Exception {
        ShopDatabase shop = new ShopDatabase(200, 30, 40);
        ShopWorkload day = new ShopWorkload(shop, 7);
        try (Connection c = services.connect("late_oracle")) {
            shop.create(c);
            day.step(c);
        }

        assertThatThrownBy(() -> ExpectedCustomerVersions.of(new ShopWorkload(ShopDatabase.bulk(1_000), 0)))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("no record of its customers");
        assertThatThrownBy(() -> ExpectedCustomerVersions.of(day)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("before its first transaction");
    }

    @Test
    void shouldRunTheDayMixOnItsSeedAndTellTheOracleEveryCustomer() throws Exception {
        ShopDatabase shop = new ShopDatabase(200, 30, 40);
        ShopWorkload workload = new ShopWorkload(shop, 7);
        ExpectedCustomerVersions expected = ExpectedCustomerVersions.of(workload);
        try (Connection c = services.connect("day")) {
            shop.create(c);
            workload.run(c, 2_000, 0, () -> false);
        }

        assertThat(workload.changes()).isGreaterThanOrEqualTo(2_000);
        assertThat(expected.versions()).hasSizeGreaterThan(198);
        assertThat(expected.versions().values()).anyMatch(versions -> versions > 1);
        assertThat(services.query("day", "SELECT count(*) FROM orders WHERE total IS NOT NULL")).containsExactly("0");
    }

    private static long rows(String database) throws Exception {
        return Long.parseLong(services.query(database, "SELECT (SELECT count(*) FROM customers) + (SELECT count(*) "
                + "FROM categories) + (SELECT count(*) FROM products) + (SELECT count(*) FROM orders) + (SELECT "
                + "count(*) FROM order_items)").get(0));
    }
}
