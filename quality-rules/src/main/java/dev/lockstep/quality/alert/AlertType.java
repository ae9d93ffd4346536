package dev.lockstep.quality.alert;

import java.util.Arrays;

/** The kinds of alert Lockstep emits, each with its CloudEvents {@code type}. */
public enum AlertType {
    /** Rows failed a row rule in a batch. */
    QUALITY_VIOLATION("dev.lockstep.quality.violation"),
    /** A rule opened an alert: it started failing, or an aggregate left its threshold. */
    RULE_BREACHED("dev.lockstep.rule.breached"),
    /** A rule's open alert closed: no violation for its {@code resolve_after}, or the aggregate is back. */
    RULE_RESOLVED("dev.lockstep.rule.resolved"),
    /** The pipeline stopped (a rule with {@code on_fail: fail}, a schema change under {@code fail}). */
    PIPELINE_FAILED("dev.lockstep.pipeline.failed");

    private final String type;

    AlertType(String type) {
        this.type = type;
    }

    /** Returns the CloudEvents {@code type} attribute, e.g. {@code dev.lockstep.rule.breached}; never null. */
    public String type() {
        return type;
    }

    /** Returns the alert type whose CloudEvents {@code type} is {@code type}; throws when there is none. */
    public static AlertType fromType(String type) {
        for (AlertType t : values()) {
            if (t.type.equals(type)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown alert type " + type + "; expected one of "
                + Arrays.stream(values()).map(AlertType::type).toList());
    }
}
