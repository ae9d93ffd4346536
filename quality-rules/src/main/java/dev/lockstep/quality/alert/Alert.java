package dev.lockstep.quality.alert;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.Severity;
import java.net.URI;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * One alert event. Its {@code id} is stable (the alerts outbox row's event id), so a consumer that sees the same
 * alert twice — delivery is at-least-once — de-duplicates by it. {@code rule} is null for an alert that no rule
 * raised (a pipeline failure outside the rules).
 */
public record Alert(UUID id, AlertType type, String pipeline, String rule, Severity severity, Instant time,
        AlertData data) {

    /** The CloudEvents {@code source} of every alert of a pipeline is this prefix plus the pipeline's name. */
    public static final String SOURCE_PREFIX = "urn:lockstep:pipeline:";

    public Alert {
        requireNonNull(id, "id");
        requireNonNull(type, "type");
        requireNonNull(pipeline, "pipeline");
        if (pipeline.isBlank()) {
            throw new IllegalArgumentException("pipeline must not be blank");
        }
        if (rule != null && rule.isBlank()) {
            throw new IllegalArgumentException("rule must be null or not blank");
        }
        if (rule == null && type != AlertType.PIPELINE_FAILED) {
            throw new IllegalArgumentException(type.type() + " needs a rule");
        }
        requireNonNull(severity, "severity");
        requireNonNull(time, "time");
        requireNonNull(data, "data");
    }

    /** Rows of a batch failed {@code rule}. */
    public static Alert violation(UUID id, String pipeline, String rule, Severity severity, Instant time,
            AlertData data) {
        return new Alert(id, AlertType.QUALITY_VIOLATION, pipeline, rule, severity, time, data);
    }

    /** {@code rule} opened its alert. */
    public static Alert breached(UUID id, String pipeline, String rule, Severity severity, Instant time,
            AlertData data) {
        return new Alert(id, AlertType.RULE_BREACHED, pipeline, rule, severity, time, data);
    }

    /** {@code rule}'s open alert resolved. */
    public static Alert resolved(UUID id, String pipeline, String rule, Severity severity, Instant time,
            AlertData data) {
        return new Alert(id, AlertType.RULE_RESOLVED, pipeline, rule, severity, time, data);
    }

    /** The pipeline stopped; {@code rule} names the rule that stopped it, or is null. Always critical. */
    public static Alert pipelineFailed(UUID id, String pipeline, String rule, Instant time, AlertData data) {
        return new Alert(id, AlertType.PIPELINE_FAILED, pipeline, rule, Severity.CRITICAL, time, data);
    }

    /** Returns the rule, if a rule raised this alert. */
    public Optional<String> ruleName() {
        return Optional.ofNullable(rule);
    }

    /** Returns the CloudEvents {@code source}: {@code urn:lockstep:pipeline:<pipeline>}. */
    public URI source() {
        return URI.create(SOURCE_PREFIX + pipeline);
    }

    /** Returns the CloudEvents {@code subject}: the rule's name, or null when no rule raised it. */
    public String subject() {
        return rule;
    }
}
