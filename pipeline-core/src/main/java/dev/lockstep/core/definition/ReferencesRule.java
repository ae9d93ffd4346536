package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/** Fact rows whose dimension member is still an inferred member after the grace period fail (default: unknown_member). */
public record ReferencesRule(String name, String target, String dimension, Duration grace, OnFail onFail, Severity severity, Duration resolveAfter)
        implements QualityRule {

    public ReferencesRule {
        QualityRule.requireCommon(name, target, RuleKind.REFERENCES, onFail, severity, resolveAfter);
        requireNonNull(dimension, "dimension");
        requireNonNull(grace, "grace");
    }

    @Override
    public RuleKind kind() {
        return RuleKind.REFERENCES;
    }
}
