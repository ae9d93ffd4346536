package dev.lockstep.core.definition;

import java.time.Duration;
import java.util.List;

/** Rows whose columns hold a value outside the list fail; values are SQL literals' text (default: quarantine). */
public record AcceptedValuesRule(String name, String target, List<String> columns, List<String> values, OnFail onFail, Severity severity, Duration resolveAfter)
        implements QualityRule {

    public AcceptedValuesRule {
        QualityRule.requireCommon(name, target, RuleKind.ACCEPTED_VALUES, onFail, severity, resolveAfter);
        columns = List.copyOf(columns);
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("rule " + name + " needs columns");
        }
        values = List.copyOf(values);
    }

    @Override
    public RuleKind kind() {
        return RuleKind.ACCEPTED_VALUES;
    }
}
