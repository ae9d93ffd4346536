package dev.lockstep.core.definition;

import java.util.Locale;

/** What a failing quality rule does, from tolerant to strict. */
public enum OnFail {
    /** Load the row anyway and raise an alert. */
    WARN,
    /** Keep one row per key (the newest by source position) and quarantine the others. */
    DEDUPLICATE,
    /** Point the fact at the dimension's unknown member (surrogate key -1). */
    UNKNOWN_MEMBER,
    /** Divert the row to the quarantine ledger; the rest of the batch commits. */
    QUARANTINE,
    /** Stop the pipeline with an alert. */
    FAIL;

    /** Returns the name as written in a definition, e.g. {@code unknown_member}. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
