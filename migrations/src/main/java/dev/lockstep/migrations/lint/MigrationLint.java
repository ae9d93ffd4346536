package dev.lockstep.migrations.lint;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The migration linter: checks every statement of a deployment's generated and hand-written scripts against the
 * {@link LintRule}s before anything runs. Pure logic: it reads no database (what it needs to know about the warehouse
 * comes in a {@link LintContext}) and is safe to call from any thread.
 *
 * <pre>{@code
 * LintReport report = MigrationLint.lint(scripts, LintContext.empty().withDefaultSchema("shop_dw"),
 *         Overrides.none().allow("renaming-column", "no reader uses the column yet"));
 * if (report.blocksDeploy()) { ... }
 * }</pre>
 */
public final class MigrationLint {

    /** Where a table was first touched: the script's file name and the statement. */
    private record Location(String file, SqlStatement statement) {
    }

    private MigrationLint() {
    }

    /**
     * Lints {@code scripts} in the order they run; tables created by an earlier statement (of any of them) count as
     * new and empty. Findings of rules {@code overrides} allows are reported as allowed, never as blocking.
     */
    public static LintReport lint(List<Script> scripts, LintContext context, Overrides overrides) {
        requireNonNull(scripts, "scripts");
        requireNonNull(context, "context");
        requireNonNull(overrides, "overrides");
        List<Finding> findings = new ArrayList<>();
        Set<String> created = new HashSet<>();
        Map<String, Location> touched = new LinkedHashMap<>();
        for (Script script : scripts) {
            ScriptLinter linter = new ScriptLinter(script, context, created, findings::add);
            SqlScanner.split(script.sql()).forEach(linter::lint);
            linter.touched().forEach((table, s) -> touched.putIfAbsent(table, new Location(script.fileName(), s)));
        }
        keyChanges(context, touched, findings);
        return report(findings, overrides);
    }

    /**
     * Returns the statements of {@code script}, split as the linter splits them (on {@code ;} outside comments,
     * literals, quoted identifiers and dollar-quoted bodies), without their closing {@code ;}.
     */
    public static List<String> statements(String script) {
        return SqlScanner.split(script).stream().map(SqlStatement::text).toList();
    }

    /** Same as {@link #lint(List, LintContext, Overrides)} with no overrides. */
    public static LintReport lint(List<Script> scripts, LintContext context) {
        return lint(scripts, context, Overrides.none());
    }

    /**
     * Reports each target whose key or grain changes without a rebuild: at the first statement that touches its
     * table, or against the deployment as a whole when no script does.
     */
    private static void keyChanges(LintContext context, Map<String, Location> touched,
            List<Finding> findings) {
        for (LintContext.KeyChange change : context.keyChangesWithoutRebuild()) {
            String table = QualifiedName.resolve(change.table(), context.defaultSchema());
            String detail = "target " + change.target() + " (" + table + "): " + change.change();
            Location at = touched.get(table);
            findings.add(at == null ? new Finding(LintRule.KEY_CHANGE_WITHOUT_REBUILD, Finding.DEPLOYMENT, 0, 0, detail)
                    : new Finding(LintRule.KEY_CHANGE_WITHOUT_REBUILD, at.file(), at.statement().number(),
                            at.statement().line(), detail));
        }
    }

    private static LintReport report(List<Finding> findings, Overrides overrides) {
        List<Finding> blocking = new ArrayList<>();
        List<Finding> warnings = new ArrayList<>();
        List<LintReport.Allowed> allowed = new ArrayList<>();
        for (Finding f : findings) {
            var reason = overrides.reason(f.rule());
            if (reason.isPresent()) {
                allowed.add(new LintReport.Allowed(f, reason.get()));
            } else if (f.severity() == LintRule.Severity.ERROR) {
                blocking.add(f);
            } else {
                warnings.add(f);
            }
        }
        return new LintReport(blocking, warnings, allowed);
    }
}
