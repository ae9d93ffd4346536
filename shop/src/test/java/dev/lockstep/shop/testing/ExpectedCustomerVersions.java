package dev.lockstep.shop.testing;

import dev.lockstep.shop.ShopWorkload;
import java.util.HashMap;
import java.util.Map;

/**
 * The test oracle of the shop's {@code customer} dimension: from every customer row a day-mix {@link ShopWorkload}
 * writes, how many SCD 2 versions the warehouse must hold per customer. A customer is loadable once it passed the
 * definition's quarantining rules; its first valid state is a version, and so is each change of its tracked
 * attributes (city, segment) as the definition conforms them ({@code coalesce(city, 'Unknown')},
 * {@code coalesce(segment, 'standard')}). Fed on the workload's thread; read it after that thread ended.
 *
 * <p>Test support, in the shop's test-jar: the CLI, which ships the workload for its demo, does not ship this.
 */
public final class ExpectedCustomerVersions implements ShopWorkload.CustomerObserver {

    private final Map<Long, String> tracked = new HashMap<>();
    private final Map<Long, Integer> versions = new HashMap<>();

    /** Returns the oracle of {@code workload}'s customers, watching it from its seed on (before its first step). */
    public static ExpectedCustomerVersions of(ShopWorkload workload) {
        ExpectedCustomerVersions expected = new ExpectedCustomerVersions();
        workload.watch(expected);
        return expected;
    }

    @Override
    public void written(long id, String city, String segment, boolean valid) {
        if (!valid) {
            return;
        }
        String conformed = (city == null ? "Unknown" : city) + "|" + (segment == null ? "standard" : segment);
        if (!conformed.equals(tracked.put(id, conformed))) {
            versions.merge(id, 1, Integer::sum);
        }
    }

    /** Returns, per loadable customer, the SCD 2 versions the dimension must hold; a copy. */
    public Map<Long, Integer> versions() {
        return new HashMap<>(versions);
    }
}
