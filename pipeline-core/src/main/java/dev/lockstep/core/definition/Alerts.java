package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** Where alerts go besides the {@code lockstep.alerts} topic: webhooks, for alerts of at least {@code minSeverity}. */
public record Alerts(List<Secret> webhooks, Severity minSeverity) {

    public Alerts {
        webhooks = List.copyOf(webhooks);
        requireNonNull(minSeverity, "minSeverity");
    }
}
