package dev.lockstep.core.definition;

import java.util.Locale;

/** How urgent an alert is, from least to most. */
public enum Severity {
    INFO,
    WARNING,
    CRITICAL;

    /** Returns the name as written in a definition. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
