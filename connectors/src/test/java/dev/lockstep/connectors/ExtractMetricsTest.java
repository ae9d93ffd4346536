package dev.lockstep.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.stream.TableId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class ExtractMetricsTest {

    @Test
    void shouldPublishEventsPerTableTransactionsLagAndWalRetained() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ExtractMetrics metrics = new ExtractMetrics("shop");
        metrics.changed(TableId.parse("public.orders"), 2);
        metrics.bindTo(registry);

        metrics.changed(TableId.parse("public.orders"), 3);
        metrics.changed(TableId.parse("public.customers"), 1);
        metrics.transactionProduced(System.currentTimeMillis() * 1000 - 50_000);
        metrics.walRetained(4096);

        assertThat(registry.get(ExtractMetrics.Names.EVENTS).tag("pipeline", "shop").tag("table", "public.orders")
                .functionCounter().count()).isEqualTo(5);
        assertThat(registry.get(ExtractMetrics.Names.EVENTS).tag("table", "public.customers").functionCounter()
                .count()).isEqualTo(1);
        assertThat(registry.get(ExtractMetrics.Names.TRANSACTIONS).functionCounter().count()).isEqualTo(1);
        assertThat(registry.get(ExtractMetrics.Names.LAG).timer().count()).isEqualTo(1);
        assertThat(registry.get(ExtractMetrics.Names.LAG).timer().totalTime(java.util.concurrent.TimeUnit.MILLISECONDS))
                .isGreaterThanOrEqualTo(50);
        assertThat(registry.get(ExtractMetrics.Names.WAL_RETAINED).gauge().value()).isEqualTo(4096);
        assertThat(metrics.totalEvents()).isEqualTo(6);
    }
}
