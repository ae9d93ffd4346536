package dev.lockstep.app;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.migrations.lint.Overrides;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --allow RULE --reason TEXT}, repeatable: lint rules whose findings do not block this deployment, and why. */
final class LintOverrideOptions {

    @Option(names = "--allow", paramLabel = "RULE",
            description = "Allow this lint rule's findings (docs/migrations.md lists the rules); each --allow needs a "
                    + "--reason. Repeatable.")
    List<String> rules = new ArrayList<>();

    @Option(names = "--reason", paramLabel = "TEXT", description = "Why the --allow before it does not apply here.")
    List<String> reasons = new ArrayList<>();

    /** Returns the overrides; a --allow without its --reason (or the other way round) is an invalid input. */
    Overrides overrides() {
        if (rules.size() != reasons.size()) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "each --allow RULE needs its --reason TEXT: got "
                    + rules.size() + " --allow and " + reasons.size() + " --reason");
        }
        Overrides overrides = Overrides.none();
        for (int i = 0; i < rules.size(); i++) {
            overrides = overrides.allow(rules.get(i), reasons.get(i));
        }
        return overrides;
    }
}
