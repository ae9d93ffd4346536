package dev.lockstep.quality;

import static java.util.Objects.requireNonNull;

/** What one run of an aggregate rule found: whether it is within its threshold, and what was measured. */
public record AggregateOutcome(boolean passing, String observed) {

    public AggregateOutcome {
        requireNonNull(observed, "observed");
    }
}
