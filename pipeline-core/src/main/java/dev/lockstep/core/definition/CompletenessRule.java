package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/** Fails when fewer than threshold percent of the rows loaded over the window have the columns set (default: warn). */
public record CompletenessRule(String name, String target, List<String> columns, Percent threshold, Duration window, OnFail onFail, Severity severity, Duration resolveAfter)
        implements QualityRule {

    public CompletenessRule {
        QualityRule.requireCommon(name, target, RuleKind.COMPLETENESS, onFail, severity, resolveAfter);
        columns = List.copyOf(columns);
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("rule " + name + " needs columns");
        }
        requireNonNull(threshold, "threshold");
        requireNonNull(window, "window");
    }

    @Override
    public RuleKind kind() {
        return RuleKind.COMPLETENESS;
    }
}
