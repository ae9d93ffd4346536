package dev.lockstep.quality;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.CompletenessRule;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * {@code completeness}: the share of the target's rows loaded over the rule's window whose columns are all set must
 * reach the threshold. An empty window passes: there is nothing incomplete to alert on.
 */
public record CompletenessCheck(CompletenessRule rule) {

    public CompletenessCheck {
        requireNonNull(rule, "rule");
    }

    /**
     * Returns the query over {@code table} (a qualified name or a parenthesised subquery) whose one row holds the rows loaded over the window
     * and how many of them are complete; {@code loadedAt} is the column holding when a row was loaded.
     */
    public String query(String table, String loadedAt) {
        return "SELECT count(*), count(*) FILTER (WHERE " + String.join(" AND ", rule.columns().stream()
                .map(c -> RowCheck.column(c) + " IS NOT NULL").toList()) + ") FROM " + table + " t WHERE "
                + RowCheck.column(loadedAt) + " >= now() - interval '" + rule.window().toSeconds() + " seconds'";
    }

    /** Evaluates the counts {@link #query} returned. */
    public AggregateOutcome evaluate(long rows, long complete) {
        if (rows == 0) {
            return new AggregateOutcome(true, "no rows loaded in the last " + rule.window());
        }
        BigDecimal percent = BigDecimal.valueOf(complete).multiply(BigDecimal.valueOf(100))
                .divide(BigDecimal.valueOf(rows), 3, RoundingMode.DOWN);
        return new AggregateOutcome(percent.compareTo(rule.threshold().value()) >= 0, percent.stripTrailingZeros()
                .toPlainString() + "% of " + rows + " row(s) loaded in the last " + rule.window() + " have "
                + String.join(", ", rule.columns()) + " (threshold " + rule.threshold() + ")");
    }
}
