package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/** Every period, compares row counts (and the sums of the listed measures) of source and warehouse; fails beyond the tolerances (default: warn). */
public record ReconciliationRule(String name, String target, List<String> sums, Percent countTolerance, Percent sumTolerance, Duration every, OnFail onFail, Severity severity, Duration resolveAfter)
        implements QualityRule {

    public ReconciliationRule {
        QualityRule.requireCommon(name, target, RuleKind.RECONCILIATION, onFail, severity, resolveAfter);
        sums = List.copyOf(sums);
        requireNonNull(countTolerance, "countTolerance");
        requireNonNull(sumTolerance, "sumTolerance");
        requireNonNull(every, "every");
    }

    @Override
    public RuleKind kind() {
        return RuleKind.RECONCILIATION;
    }
}
