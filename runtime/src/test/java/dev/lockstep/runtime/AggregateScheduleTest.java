package dev.lockstep.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.definition.CompletenessRule;
import dev.lockstep.core.definition.FreshnessRule;
import dev.lockstep.core.definition.OnFail;
import dev.lockstep.core.definition.Percent;
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.definition.Severity;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The aggregate rules' schedule a switched version keeps from the version before. */
class AggregateScheduleTest {

    private static final Instant LATER = Instant.parse("2026-12-05T19:00:00Z");

    @Test
    void shouldKeepTheNextRunOfUnchangedRulesOnlySoThatNewAndChangedOnesRunAtOnce() {
        QualityRule complete = completeness("complete_city", "95");
        QualityRule fresh = freshness("fresh_orders", Duration.ofMinutes(5));
        QualityRule notYetRun = completeness("not_yet_run", "90");
        Map<String, Instant> schedule = Map.of("complete_city", LATER, "fresh_orders", LATER.plusSeconds(5),
                "dropped", LATER);

        Map<String, Instant> kept = AggregateChecks.carried(schedule, List.of(complete, fresh, notYetRun,
                completeness("dropped", "50")), List.of(complete, freshness("fresh_orders", Duration.ofMinutes(1)),
                notYetRun, completeness("added", "80")));

        // fresh_orders changed its threshold, added is new, not_yet_run has no next run yet: all three run at once.
        assertThat(kept).containsExactly(Map.entry("complete_city", LATER));
    }

    private static CompletenessRule completeness(String name, String percent) {
        return new CompletenessRule(name, "customer", List.of("city"), Percent.of(percent), Duration.ofHours(1),
                OnFail.WARN, Severity.WARNING, Duration.ofMinutes(10));
    }

    private static FreshnessRule freshness(String name, Duration maxLag) {
        return new FreshnessRule(name, "order_line", maxLag, OnFail.WARN, Severity.CRITICAL, Duration.ofMinutes(10));
    }
}
