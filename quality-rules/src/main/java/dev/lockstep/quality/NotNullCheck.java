package dev.lockstep.quality;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.NotNullRule;

/** {@code not_null}: a row fails when any of the columns is null. */
public record NotNullCheck(NotNullRule rule) implements RowCheck {

    public NotNullCheck {
        requireNonNull(rule, "rule");
    }

    @Override
    public String failing() {
        return RowCheck.any(rule.columns(), c -> RowCheck.column(c) + " IS NULL");
    }

    @Override
    public String reason() {
        return String.join(" or ", rule.columns()) + " is null";
    }
}
