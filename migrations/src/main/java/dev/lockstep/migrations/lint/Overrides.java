package dev.lockstep.migrations.lint;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The rules a deployment allows ({@code --allow RULE --reason "…"}), each with its reason, which the deployment
 * records. An allowed rule's findings no longer block and are reported as allowed. Immutable; {@link #allow}
 * returns a copy.
 */
public final class Overrides {

    private static final Overrides NONE = new Overrides(new EnumMap<>(LintRule.class));

    private final Map<LintRule, String> reasons;

    private Overrides(Map<LintRule, String> reasons) {
        this.reasons = reasons;
    }

    /** Returns overrides that allow nothing. */
    public static Overrides none() {
        return NONE;
    }

    /**
     * Returns a copy that also allows the rule {@code ruleId} for {@code reason}.
     *
     * @throws LockstepException ({@link ErrorCode#INVALID_INPUT}) when the id names no rule (the message lists the
     *     known ones) or the reason is blank
     */
    public Overrides allow(String ruleId, String reason) {
        requireNonNull(ruleId, "ruleId");
        LintRule rule = LintRule.byId(ruleId).orElseThrow(() -> new LockstepException(ErrorCode.INVALID_INPUT,
                "--allow " + ruleId + ": no such lint rule; known rules: " + LintRule.ids()));
        if (reason == null || reason.isBlank()) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "--allow " + ruleId
                    + ": a --reason is required, saying why the rule does not apply here");
        }
        Map<LintRule, String> copy = new EnumMap<>(LintRule.class);
        copy.putAll(reasons);
        copy.put(rule, reason.strip());
        return new Overrides(copy);
    }

    /** Returns the reason {@code rule} is allowed for, if it is. */
    public Optional<String> reason(LintRule rule) {
        return Optional.ofNullable(reasons.get(rule));
    }

    /** Returns every allowed rule with its reason, in rule order; unmodifiable. */
    public Map<LintRule, String> reasons() {
        return Collections.unmodifiableMap(new EnumMap<>(reasons));
    }

    @Override
    public String toString() {
        return "Overrides" + reasons;
    }
}
