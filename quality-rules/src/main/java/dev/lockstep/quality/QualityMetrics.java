package dev.lockstep.quality;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The quality stage's metrics, tagged with {@code pipeline}, and {@code target} and {@code rule} where they apply:
 * rows checked, passed and diverted per rule, the time the rules took per batch, and the open alerts. Counts are
 * recorded after the batch they belong to committed. Thread-safe.
 */
public final class QualityMetrics implements MeterBinder {

    /** Metric names of the quality stage. */
    public static final class Names {
        /** Rows a rule checked. */
        public static final String CHECKED = "lockstep.quality.rows.checked";
        /** Rows that passed a rule. */
        public static final String PASSED = "lockstep.quality.rows.passed";
        /** Rows a rule diverted to quarantine (quarantine, deduplicate). */
        public static final String DIVERTED = "lockstep.quality.rows.diverted";
        /** Rows that failed a rule with on_fail: warn and loaded anyway. */
        public static final String WARNED = "lockstep.quality.rows.warned";
        /** Time the per-row rules took in one batch. */
        public static final String RULE_TIME = "lockstep.quality.rule.time";
        /** Alerts open now. */
        public static final String OPEN_ALERTS = "lockstep.quality.alerts.open";

        private Names() {}
    }

    private final String pipeline;
    private final AtomicLong openAlerts = new AtomicLong();
    private volatile MeterRegistry registry = new SimpleMeterRegistry();
    private volatile Timer ruleTime;

    /** Returns the metrics of {@code pipeline}; until bound, they are kept in a private registry. */
    public QualityMetrics(String pipeline) {
        this.pipeline = requireNonNull(pipeline, "pipeline");
        bindTo(registry);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        this.registry = registry;
        this.ruleTime = Timer.builder(Names.RULE_TIME).tag("pipeline", pipeline)
                .description("time the per-row quality rules took in one batch").register(registry);
        Gauge.builder(Names.OPEN_ALERTS, openAlerts, AtomicLong::get).tag("pipeline", pipeline)
                .description("alerts open now").register(registry);
    }

    /** Records one rule's outcome on one batch of {@code target}: rows checked, failed, and whether they were diverted. */
    public void checked(String target, String rule, long checked, long failed, boolean diverted) {
        counter(Names.CHECKED, target, rule).increment(checked);
        counter(Names.PASSED, target, rule).increment(checked - failed);
        if (failed > 0) {
            counter(diverted ? Names.DIVERTED : Names.WARNED, target, rule).increment(failed);
        }
    }

    /** Records the time the per-row rules took in one batch. */
    public void ruleTime(Duration time) {
        ruleTime.record(time);
    }

    /** Sets how many alerts are open. */
    public void openAlerts(long n) {
        openAlerts.set(n);
    }

    private Counter counter(String name, String target, String rule) {
        return Counter.builder(name).tag("pipeline", pipeline).tag("target", target).tag("rule", rule)
                .register(registry);
    }
}
