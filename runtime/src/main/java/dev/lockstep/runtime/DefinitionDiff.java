package dev.lockstep.runtime;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import java.util.List;

/** A unified diff of a deployed definition and the file about to replace it, as written (secrets stay references). */
final class DefinitionDiff {

    private static final int CONTEXT_LINES = 2;

    private DefinitionDiff() {}

    /** Returns the unified diff from {@code deployed} to {@code current}, read from {@code file}. */
    static String of(String deployed, String current, String file) {
        List<String> before = deployed.lines().toList();
        List<String> after = current.lines().toList();
        List<String> diff = UnifiedDiffUtils.generateUnifiedDiff("deployed", file, before,
                DiffUtils.diff(before, after), CONTEXT_LINES);
        return String.join("\n", diff);
    }
}
