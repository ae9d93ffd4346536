package dev.lockstep.core.definition;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The kinds of quality rules, with what each checks and which actions it allows on failure. */
public enum RuleKind {
    NOT_NULL(true, OnFail.QUARANTINE, EnumSet.of(OnFail.WARN, OnFail.QUARANTINE, OnFail.FAIL)),
    UNIQUE(true, OnFail.DEDUPLICATE, EnumSet.of(OnFail.WARN, OnFail.DEDUPLICATE, OnFail.QUARANTINE, OnFail.FAIL)),
    REFERENCES(true, OnFail.UNKNOWN_MEMBER,
            EnumSet.of(OnFail.WARN, OnFail.UNKNOWN_MEMBER, OnFail.QUARANTINE, OnFail.FAIL)),
    ACCEPTED_VALUES(true, OnFail.QUARANTINE, EnumSet.of(OnFail.WARN, OnFail.QUARANTINE, OnFail.FAIL)),
    RANGE(true, OnFail.QUARANTINE, EnumSet.of(OnFail.WARN, OnFail.QUARANTINE, OnFail.FAIL)),
    REGEX(true, OnFail.QUARANTINE, EnumSet.of(OnFail.WARN, OnFail.QUARANTINE, OnFail.FAIL)),
    EXPRESSION(true, OnFail.QUARANTINE, EnumSet.of(OnFail.WARN, OnFail.QUARANTINE, OnFail.FAIL)),
    COMPLETENESS(false, OnFail.WARN, EnumSet.of(OnFail.WARN, OnFail.FAIL)),
    FRESHNESS(false, OnFail.WARN, EnumSet.of(OnFail.WARN, OnFail.FAIL)),
    RECONCILIATION(false, OnFail.WARN, EnumSet.of(OnFail.WARN, OnFail.FAIL));

    private final boolean perRow;
    private final OnFail defaultOnFail;
    private final Set<OnFail> allowedOnFail;

    RuleKind(boolean perRow, OnFail defaultOnFail, EnumSet<OnFail> allowedOnFail) {
        this.perRow = perRow;
        this.defaultOnFail = defaultOnFail;
        this.allowedOnFail = java.util.Collections.unmodifiableSet(allowedOnFail);
    }

    /** Returns true for rules checked on each conformed row of a batch, false for aggregate checks over a window. */
    public boolean perRow() {
        return perRow;
    }

    /** Returns the action taken when the definition does not say. */
    public OnFail defaultOnFail() {
        return defaultOnFail;
    }

    /** Returns the actions this kind of rule can take, in order from tolerant to strict. */
    public Set<OnFail> allowedOnFail() {
        return allowedOnFail;
    }

    /** Returns the name as written in a definition, e.g. {@code not_null}. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
