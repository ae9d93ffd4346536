package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/** Fails when the target lags its source by more than maxLag (default: warn). */
public record FreshnessRule(String name, String target, Duration maxLag, OnFail onFail, Severity severity, Duration resolveAfter)
        implements QualityRule {

    public FreshnessRule {
        QualityRule.requireCommon(name, target, RuleKind.FRESHNESS, onFail, severity, resolveAfter);
        requireNonNull(maxLag, "maxLag");
    }

    @Override
    public RuleKind kind() {
        return RuleKind.FRESHNESS;
    }
}
