package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Rows whose columns fall outside [min, max] (inclusive; numbers, dates or timestamps as text) fail (default: quarantine). */
public record RangeRule(String name, String target, List<String> columns, Optional<String> min, Optional<String> max, OnFail onFail, Severity severity, Duration resolveAfter)
        implements QualityRule {

    public RangeRule {
        QualityRule.requireCommon(name, target, RuleKind.RANGE, onFail, severity, resolveAfter);
        columns = List.copyOf(columns);
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("rule " + name + " needs columns");
        }
        requireNonNull(min, "min");
        requireNonNull(max, "max");
        if (min.isEmpty() && max.isEmpty()) {
            throw new IllegalArgumentException("rule " + name + " needs min or max");
        }
    }

    @Override
    public RuleKind kind() {
        return RuleKind.RANGE;
    }
}
