package dev.lockstep.warehouse.apply;

/** What one request of {@code lockstep quarantine replay} did: rows loaded, diverted again, superseded, undecodable. */
public record ReplayOutcome(long requestId, int loaded, int diverted, int superseded, int undecodable) {
}
