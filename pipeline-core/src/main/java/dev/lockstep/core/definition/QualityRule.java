package dev.lockstep.core.definition;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A data-quality rule on a dimension or fact ({@link #target()}): per-row rules run on each batch's conformed rows,
 * aggregate rules ({@link RuleKind#perRow()} false) over a time window.
 */
public sealed interface QualityRule permits NotNullRule, UniqueRule, ReferencesRule, AcceptedValuesRule, RangeRule,
        RegexRule, ExpressionRule, CompletenessRule, FreshnessRule, ReconciliationRule {

    /** Returns the rule's name, unique in the definition (given, or derived from kind, target and columns). */
    String name();

    /** Returns what the rule checks. */
    RuleKind kind();

    /** Returns the dimension or fact the rule checks. */
    String target();

    /** Returns the columns the rule checks; empty for kinds that check whole rows or tables. */
    default List<String> columns() {
        return List.of();
    }

    /** Returns what happens to rows that fail (per-row rules) or when the check fails (aggregate rules). */
    OnFail onFail();

    /** Returns the severity of the alerts the rule raises. */
    Severity severity();

    /** Returns how long the rule must pass again before its open alert resolves. */
    Duration resolveAfter();

    /** Checks the parts every rule has; used by the records' constructors. */
    static void requireCommon(String name, String target, RuleKind kind, OnFail onFail, Severity severity,
            Duration resolveAfter) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(onFail, "onFail");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(resolveAfter, "resolveAfter");
        if (!kind.allowedOnFail().contains(onFail)) {
            throw new IllegalArgumentException("rule " + name + ": on_fail " + onFail.yamlName()
                    + " is not allowed for " + kind.yamlName());
        }
    }
}
