package dev.lockstep.warehouse.star;

/** Rows of one target in committed batches: loaded (conformed and passed its rules) and quarantined. */
public record TargetCounts(long loaded, long quarantined) {

    TargetCounts plus(TargetCounts other) {
        return new TargetCounts(loaded + other.loaded, quarantined + other.quarantined);
    }
}
