package dev.lockstep.quality;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.AcceptedValuesRule;
import java.util.stream.Collectors;

/**
 * {@code accepted_values}: a row fails when a column holds a value outside the list (null passes: that is
 * {@code not_null}'s job). The values are literals PostgreSQL reads as the column's type.
 */
public record AcceptedValuesCheck(AcceptedValuesRule rule) implements RowCheck {

    public AcceptedValuesCheck {
        requireNonNull(rule, "rule");
    }

    @Override
    public String failing() {
        String values = rule.values().stream().map(RowCheck::literal).collect(Collectors.joining(", "));
        return RowCheck.any(rule.columns(), c -> "coalesce(" + RowCheck.column(c) + " NOT IN (" + values + "), false)");
    }

    @Override
    public String reason() {
        return String.join(", ", rule.columns()) + " not in " + rule.values();
    }
}
