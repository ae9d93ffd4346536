package dev.lockstep.core.definition;

import java.time.Duration;
import java.util.List;

/** Rows whose columns are null fail (default: quarantine). */
public record NotNullRule(String name, String target, List<String> columns, OnFail onFail, Severity severity, Duration resolveAfter)
        implements QualityRule {

    public NotNullRule {
        QualityRule.requireCommon(name, target, RuleKind.NOT_NULL, onFail, severity, resolveAfter);
        columns = List.copyOf(columns);
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("rule " + name + " needs columns");
        }
    }

    @Override
    public RuleKind kind() {
        return RuleKind.NOT_NULL;
    }
}
