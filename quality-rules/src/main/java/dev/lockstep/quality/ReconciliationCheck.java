package dev.lockstep.quality;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.ReconciliationRule;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code reconciliation}: the classic ETL accuracy check — the target's row count, and the sums of the listed
 * measures, in the warehouse (quarantined rows included) against the same figures computed over the source tables,
 * each within its tolerance (a percentage of the source figure).
 */
public record ReconciliationCheck(ReconciliationRule rule) {

    public ReconciliationCheck {
        requireNonNull(rule, "rule");
    }

    /** The figures of one side: a row count and the sums by measure name (a sum is null over no rows). */
    public record Figures(long rows, Map<String, BigDecimal> sums) {
        public Figures {
            sums = Collections.unmodifiableMap(new LinkedHashMap<>(sums));
        }
    }

    /** Compares the figures of source and warehouse. */
    public AggregateOutcome evaluate(Figures source, Figures warehouse) {
        List<String> off = new ArrayList<>();
        List<String> all = new ArrayList<>();
        String rows = "rows " + warehouse.rows() + " vs " + source.rows() + " in the source";
        all.add(rows);
        if (!within(BigDecimal.valueOf(source.rows()), BigDecimal.valueOf(warehouse.rows()),
                rule.countTolerance().value())) {
            off.add(rows);
        }
        for (String measure : rule.sums()) {
            BigDecimal s = source.sums().get(measure);
            BigDecimal w = warehouse.sums().get(measure);
            String line = "sum(" + measure + ") " + w + " vs " + s + " in the source";
            all.add(line);
            if (!within(s == null ? BigDecimal.ZERO : s, w == null ? BigDecimal.ZERO : w,
                    rule.sumTolerance().value())) {
                off.add(line);
            }
        }
        return off.isEmpty() ? new AggregateOutcome(true, String.join("; ", all))
                : new AggregateOutcome(false, "beyond tolerance: " + String.join("; ", off) + " (count tolerance "
                        + rule.countTolerance() + ", sum tolerance " + rule.sumTolerance() + ")");
    }

    /** Returns true when {@code actual} is within {@code percent} % of {@code expected}; 0 % means exactly equal. */
    static boolean within(BigDecimal expected, BigDecimal actual, BigDecimal percent) {
        BigDecimal difference = actual.subtract(expected).abs();
        BigDecimal allowed = expected.abs().multiply(percent).divide(BigDecimal.valueOf(100), MathContext.DECIMAL64);
        return difference.compareTo(allowed) <= 0;
    }
}
