package dev.lockstep.quality;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.FreshnessRule;
import java.time.Duration;

/**
 * {@code freshness}: how far the warehouse lags the source — from the source commit of the oldest change not yet
 * applied to now, zero when every change is applied — must stay within {@code max_lag}.
 */
public record FreshnessCheck(FreshnessRule rule) {

    public FreshnessCheck {
        requireNonNull(rule, "rule");
    }

    /** Evaluates the measured lag. */
    public AggregateOutcome evaluate(Duration lag) {
        return new AggregateOutcome(lag.compareTo(rule.maxLag()) <= 0, "the warehouse lags the source by "
                + lag.toMillis() + " ms (max_lag " + rule.maxLag() + ")");
    }
}
