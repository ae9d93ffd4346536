package dev.lockstep.shop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.shop.testing.ExpectedCustomerVersions;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExpectedCustomerVersionsTest {

    @Test
    void shouldCountAVersionPerChangeOfTheConformedTrackedAttributes() {
        ExpectedCustomerVersions expected = new ExpectedCustomerVersions();

        expected.written(1, "Paris", "gold", true);
        expected.written(1, "Paris", "gold", true);
        expected.written(1, "Lyon", "gold", true);
        expected.written(1, "Lyon", "platinum", true);
        expected.written(2, null, null, true);
        expected.written(2, "Unknown", "standard", true);

        assertThat(expected.versions()).containsOnlyKeys(1L, 2L).containsEntry(1L, 3).containsEntry(2L, 1);
    }

    @Test
    void shouldExpectNoVersionUntilTheCustomerPassesTheRules() {
        ExpectedCustomerVersions expected = new ExpectedCustomerVersions();

        expected.written(3, "Oslo", "vip", false);
        assertThat(expected.versions()).isEmpty();

        expected.written(3, "Oslo", "standard", true);
        assertThat(expected.versions()).containsExactly(Map.entry(3L, 1));
    }

    @Test
    void shouldTakeTheSeededCustomersWhenWatchingAWorkload() {
        ShopWorkload workload = new ShopWorkload(new ShopDatabase(200, 20, 10), 1);

        ExpectedCustomerVersions expected = ExpectedCustomerVersions.of(workload);

        // Seeded customers 97 and 194 have no email: quarantined, no version yet.
        assertThat(expected.versions()).hasSize(198).doesNotContainKeys(97L, 194L).containsEntry(1L, 1);
    }
}
