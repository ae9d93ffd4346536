package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;

/** A percentage from 0 to 100, kept exactly as written ({@code 99.9%}). */
public record Percent(BigDecimal value) {

    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);

    public Percent {
        requireNonNull(value, "value");
        if (value.signum() < 0 || value.compareTo(HUNDRED) > 0) {
            throw new IllegalArgumentException("a percentage is from 0 to 100: " + value);
        }
    }

    /** Returns the percentage of the given value, e.g. {@code Percent.of("99.9")}. */
    public static Percent of(String value) {
        return new Percent(new BigDecimal(value));
    }

    /** Returns the value as a fraction from 0 to 1. */
    public double fraction() {
        return value.doubleValue() / 100.0;
    }

    @Override
    public String toString() {
        return value.toPlainString() + "%";
    }
}
