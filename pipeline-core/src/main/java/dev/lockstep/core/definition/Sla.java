package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/** The service level the pipeline is held to: end-to-end latency from source commit to warehouse commit. */
public record Sla(Optional<Duration> latency) {

    public Sla {
        requireNonNull(latency, "latency");
    }

    /** Returns the absence of an SLA. */
    public static Sla none() {
        return new Sla(Optional.empty());
    }
}
