package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/** Rows for which the PostgreSQL boolean expression over the target's columns is false fail (default: quarantine). */
public record ExpressionRule(String name, String target, SqlExpression check, OnFail onFail, Severity severity, Duration resolveAfter)
        implements QualityRule {

    public ExpressionRule {
        QualityRule.requireCommon(name, target, RuleKind.EXPRESSION, onFail, severity, resolveAfter);
        requireNonNull(check, "check");
    }

    @Override
    public RuleKind kind() {
        return RuleKind.EXPRESSION;
    }
}
