package dev.lockstep.quality;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.ExpressionRule;

/** {@code expression}: a row fails when the boolean check is false; null passes, as in a CHECK constraint. */
public record ExpressionCheck(ExpressionRule rule) implements RowCheck {

    public ExpressionCheck {
        requireNonNull(rule, "rule");
    }

    @Override
    public String failing() {
        return "coalesce(NOT (" + rule.check().sql() + "), false)";
    }

    @Override
    public String reason() {
        return "check failed: " + rule.check().sql();
    }
}
