package dev.lockstep.quality;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The quality metrics, as a registry sees them. */
class QualityMetricsTest {

    @Test
    void shouldCountCheckedPassedDivertedAndWarnedRowsPerTargetAndRule() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        QualityMetrics metrics = new QualityMetrics("shop");
        metrics.bindTo(registry);

        metrics.checked("customer", "not_null_email", 10, 2, true);
        metrics.checked("customer", "not_null_email", 5, 0, true);
        metrics.checked("order_line", "sane_amount", 7, 3, false);
        metrics.ruleTime(Duration.ofMillis(12));
        metrics.openAlerts(2);

        assertThat(registry.get(QualityMetrics.Names.CHECKED).tags("pipeline", "shop", "target", "customer", "rule",
                "not_null_email").counter().count()).isEqualTo(15);
        assertThat(registry.get(QualityMetrics.Names.PASSED).tags("target", "customer").counter().count())
                .isEqualTo(13);
        assertThat(registry.get(QualityMetrics.Names.DIVERTED).tags("rule", "not_null_email").counter().count())
                .isEqualTo(2);
        assertThat(registry.get(QualityMetrics.Names.WARNED).tags("rule", "sane_amount").counter().count())
                .isEqualTo(3);
        assertThat(registry.find(QualityMetrics.Names.DIVERTED).tags("rule", "sane_amount").counter()).isNull();
        assertThat(registry.get(QualityMetrics.Names.RULE_TIME).timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(12);
        assertThat(registry.get(QualityMetrics.Names.OPEN_ALERTS).gauge().value()).isEqualTo(2);
    }
}
