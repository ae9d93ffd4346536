package dev.lockstep.core.definition;

import java.time.Duration;
import java.util.List;

/** Rows that share the values of the columns with another current row fail (default: deduplicate). */
public record UniqueRule(String name, String target, List<String> columns, OnFail onFail, Severity severity, Duration resolveAfter)
        implements QualityRule {

    public UniqueRule {
        QualityRule.requireCommon(name, target, RuleKind.UNIQUE, onFail, severity, resolveAfter);
        columns = List.copyOf(columns);
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("rule " + name + " needs columns");
        }
    }

    @Override
    public RuleKind kind() {
        return RuleKind.UNIQUE;
    }
}
