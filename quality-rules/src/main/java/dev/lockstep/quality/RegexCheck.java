package dev.lockstep.quality;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.RegexRule;

/** {@code regex}: a row fails when a column's text does not match the pattern (PostgreSQL {@code ~}; null passes). */
public record RegexCheck(RegexRule rule) implements RowCheck {

    public RegexCheck {
        requireNonNull(rule, "rule");
    }

    @Override
    public String failing() {
        return RowCheck.any(rule.columns(), c -> "coalesce(" + RowCheck.column(c) + "::text !~ "
                + RowCheck.literal(rule.pattern()) + ", false)");
    }

    @Override
    public String reason() {
        return String.join(", ", rule.columns()) + " does not match " + rule.pattern();
    }
}
