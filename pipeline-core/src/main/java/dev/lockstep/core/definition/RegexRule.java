package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/** Rows whose columns do not match the PostgreSQL regular expression fail (default: quarantine). */
public record RegexRule(String name, String target, List<String> columns, String pattern, OnFail onFail, Severity severity, Duration resolveAfter)
        implements QualityRule {

    public RegexRule {
        QualityRule.requireCommon(name, target, RuleKind.REGEX, onFail, severity, resolveAfter);
        columns = List.copyOf(columns);
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("rule " + name + " needs columns");
        }
        requireNonNull(pattern, "pattern");
    }

    @Override
    public RuleKind kind() {
        return RuleKind.REGEX;
    }
}
