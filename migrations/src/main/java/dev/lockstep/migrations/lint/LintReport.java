package dev.lockstep.migrations.lint;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What linting a deployment's scripts found, in script and statement order: errors that block the deployment,
 * warnings that are printed, and findings of rules the deployment allowed (with the reason, to be recorded).
 * Every list is unmodifiable and never null.
 */
public record LintReport(List<Finding> blocking, List<Finding> warnings, List<Allowed> allowed) {

    /** A finding of a rule the deployment allowed, with the reason given for it. */
    public record Allowed(Finding finding, String reason) {
        public Allowed {
            requireNonNull(finding, "finding");
            requireNonNull(reason, "reason");
        }
    }

    public LintReport {
        blocking = List.copyOf(blocking);
        warnings = List.copyOf(warnings);
        allowed = List.copyOf(allowed);
    }

    /** Tells whether any finding blocks the deployment. */
    public boolean blocksDeploy() {
        return !blocking.isEmpty();
    }
}
