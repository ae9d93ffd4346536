package dev.lockstep.quality;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.RangeRule;
import java.util.ArrayList;
import java.util.List;

/** {@code range}: a row fails when a column is below {@code min} or above {@code max} (bounds included; null passes). */
public record RangeCheck(RangeRule rule) implements RowCheck {

    public RangeCheck {
        requireNonNull(rule, "rule");
    }

    @Override
    public String failing() {
        return RowCheck.any(rule.columns(), c -> {
            List<String> outside = new ArrayList<>();
            rule.min().ifPresent(min -> outside.add(RowCheck.column(c) + " < " + RowCheck.literal(min)));
            rule.max().ifPresent(max -> outside.add(RowCheck.column(c) + " > " + RowCheck.literal(max)));
            return "coalesce(" + String.join(" OR ", outside) + ", false)";
        });
    }

    @Override
    public String reason() {
        return String.join(", ", rule.columns()) + " outside [" + rule.min().orElse("-∞") + ", "
                + rule.max().orElse("∞") + "]";
    }
}
