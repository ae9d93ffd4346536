package dev.lockstep.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.definition.CompletenessRule;
import dev.lockstep.core.definition.FreshnessRule;
import dev.lockstep.core.definition.OnFail;
import dev.lockstep.core.definition.Percent;
import dev.lockstep.core.definition.ReconciliationRule;
import dev.lockstep.core.definition.Severity;
import dev.lockstep.quality.ReconciliationCheck.Figures;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The SQL and the verdicts of the aggregate rules: completeness, freshness, reconciliation. */
class AggregateChecksTest {

    private static final Duration FIVE_MINUTES = Duration.ofMinutes(5);

    @Test
    void shouldCountCompleteRowsLoadedInTheWindow() {
        CompletenessCheck check = new CompletenessCheck(new CompletenessRule("c", "order_line",
                List.of("amount", "order id"), Percent.of("99.5"), Duration.ofMinutes(30), OnFail.WARN,
                Severity.WARNING, FIVE_MINUTES));

        assertThat(check.query("dw.fact_order_line", "_loaded_at")).isEqualTo("SELECT count(*), count(*) FILTER "
                + "(WHERE \"amount\" IS NOT NULL AND \"order id\" IS NOT NULL) FROM dw.fact_order_line t WHERE "
                + "\"_loaded_at\" >= now() - interval '1800 seconds'");
        assertThat(check.evaluate(1000, 995).passing()).as("exactly the threshold").isTrue();
        assertThat(check.evaluate(1000, 994)).extracting(AggregateOutcome::passing, AggregateOutcome::observed)
                .containsExactly(false, "99.4% of 1000 row(s) loaded in the last PT30M have amount, order id "
                        + "(threshold 99.5%)");
        assertThat(check.evaluate(0, 0).passing()).as("nothing loaded: nothing incomplete").isTrue();
    }

    @Test
    void shouldCompareTheLagWithMaxLag() {
        FreshnessCheck check = new FreshnessCheck(new FreshnessRule("f", "order_line", Duration.ofSeconds(5),
                OnFail.WARN, Severity.CRITICAL, FIVE_MINUTES));

        assertThat(check.evaluate(Duration.ofSeconds(5)).passing()).isTrue();
        assertThat(check.evaluate(Duration.ofMillis(5001))).extracting(AggregateOutcome::passing,
                AggregateOutcome::observed).containsExactly(false, "the warehouse lags the source by 5001 ms "
                + "(max_lag PT5S)");
    }

    @Test
    void shouldHoldCountsAndSumsToTheirTolerances() {
        ReconciliationCheck exact = new ReconciliationCheck(new ReconciliationRule("r", "order_line",
                List.of("amount"), Percent.of("0"), Percent.of("0"), Duration.ofHours(1), OnFail.WARN,
                Severity.WARNING, FIVE_MINUTES));
        ReconciliationCheck loose = new ReconciliationCheck(new ReconciliationRule("r", "order_line",
                List.of("amount"), Percent.of("1"), Percent.of("0.1"), Duration.ofHours(1), OnFail.WARN,
                Severity.WARNING, FIVE_MINUTES));
        Figures source = new Figures(1000, Map.of("amount", new BigDecimal("10000.00")));

        assertThat(exact.evaluate(source, new Figures(1000, Map.of("amount", new BigDecimal("10000.00"))))
                .passing()).isTrue();
        assertThat(exact.evaluate(source, new Figures(999, Map.of("amount", new BigDecimal("10000.00")))))
                .extracting(AggregateOutcome::passing, AggregateOutcome::observed).containsExactly(false,
                        "beyond tolerance: rows 999 vs 1000 in the source (count tolerance 0%, sum tolerance 0%)");
        assertThat(loose.evaluate(source, new Figures(990, Map.of("amount", new BigDecimal("10010.00"))))
                .passing()).as("1% of rows, 0.1% of the sum").isTrue();
        assertThat(loose.evaluate(source, new Figures(990, Map.of("amount", new BigDecimal("10010.01"))))
                .observed()).contains("sum(amount) 10010.01 vs 10000.00 in the source");
        assertThat(exact.evaluate(new Figures(0, Collections.singletonMap("amount", null)),
                new Figures(0, Collections.singletonMap("amount", null))).passing())
                .as("no rows on either side").isTrue();
    }
}
