package dev.lockstep.app;

import dev.lockstep.migrations.lint.Finding;
import dev.lockstep.migrations.lint.LintReport;
import dev.lockstep.migrations.lint.Script;
import dev.lockstep.migrations.plan.HandWrittenMigration;
import dev.lockstep.migrations.plan.MigrationPlan;
import dev.lockstep.migrations.plan.Operation;
import dev.lockstep.runtime.DeploymentPlan;
import dev.lockstep.warehouse.raw.MigrationScript;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code lockstep plan}: what deploying a definition would do to its pipeline's warehouse — the typed operations
 * from the deployed version, the DDL of each phase with its down scripts, the rows to rebuild and the lint findings —
 * without changing anything.
 */
@Command(name = "plan",
        description = "Show what deploying the definition would do to its pipeline's warehouse, and change nothing: "
                + "the typed operations from the deployed version (each additive, a rebuild of loaded rows, "
                + "destructive, or refused with the steps to do it by hand), the SQL of the expand and contract "
                + "phases with their down scripts, the rows rebuilt from the raw layer, and the lint findings of "
                + "every statement. Exit code 0 when nothing changes, 10 when changes are pending, 2 when the "
                + "definition is invalid or the deployment would be refused (a refused change, a lint error, a view "
                + "or policy built on a column it drops).")
final class PlanCommand implements Callable<Integer> {

    /** The exit code of a plan with changes pending. */
    static final int CHANGES_PENDING = 10;

    @Spec
    CommandSpec spec;

    @Mixin
    DefinitionFileOption definitionFile;

    @Mixin
    LintOverrideOptions lint;

    @Override
    public Integer call() {
        DeploymentPlan plan = DeploymentPlan.of(definitionFile.file, lint.overrides());
        PrintWriter out = spec.commandLine().getOut();
        String pipeline = plan.definition().pipeline();
        if (plan.deployed().isEmpty()) {
            out.printf("Plan for pipeline %s: first deployment (nothing deployed yet); `lockstep run` deploys it.%n",
                    pipeline);
            for (MigrationScript script : plan.firstDeployment()) {
                section(out, "V" + script.version() + "__" + script.description() + ".sql", List.of(script.up()
                        .strip()), List.of(script.down().strip()), false);
            }
            printHandWritten(out, plan);
        } else if (plan.unchanged()) {
            out.printf("Plan for pipeline %s: no changes from deployed version %d%s.%n", pipeline,
                    plan.deployed().get().version(), plan.diff().isEmpty() ? "" : " (comments or layout only)");
            return 0;
        } else {
            out.printf("Plan for pipeline %s: deployed version %d → %s%n", pipeline, plan.deployed().get().version(),
                    definitionFile.file);
            printOperations(out, plan);
            MigrationPlan migrations = plan.migrations();
            if (!migrations.expand().isEmpty()) {
                section(out, "Expand (" + generated(plan, "expand") + ", before the rebuild)", migrations.expand(),
                        migrations.expandDown(), true);
            }
            if (!migrations.indexes().isEmpty()) {
                section(out, "Indexes (built CONCURRENTLY after the expand, outside the control point: the stream's "
                        + "writes go on; an index a killed build left invalid is built again)",
                        migrations.indexStatements(), List.of(), false);
            }
            printRebuilds(out, plan);
            if (!migrations.switchOver().isEmpty()) {
                section(out, "Switch (" + generated(plan, "switch") + ", one transaction: the rebuilt columns take "
                        + "their names)", migrations.switchOver(), migrations.switchDown(), true);
            }
            printHandWritten(out, plan);
            if (!migrations.contract().isEmpty()) {
                section(out, "Contract (" + generated(plan, "contract") + ", after the switch)", migrations.contract(),
                        migrations.contractDown(), true);
            }
        }
        printDependents(out, plan);
        printLint(out, plan.lint());
        if (plan.refused()) {
            out.println("\nThe deployment would be refused: see the refused operations, dependent objects and lint "
                    + "errors above. Nothing was changed.");
            return 2;
        }
        out.println("\nChanges pending. Nothing was changed.");
        return CHANGES_PENDING;
    }

    /** Returns the file name of the generated migration of {@code phase} ({@code V<n>__<phase>.sql}). */
    private static String generated(DeploymentPlan plan, String phase) {
        return plan.scripts().stream().filter(s -> s.origin() == Script.Origin.GENERATED)
                .map(Script::fileName).filter(name -> name.endsWith("__" + phase + ".sql")).findFirst()
                .orElseThrow();
    }

    private static void printOperations(PrintWriter out, DeploymentPlan plan) {
        out.printf("%nOperations (%d):%n", plan.diff().operations().size());
        for (Operation operation : plan.diff().operations()) {
            out.printf("  %-11s %s%n", operation.impact(), operation.describe());
            if (!operation.note().isEmpty()) {
                out.printf("  %-11s   %s%n", "", operation.note());
            }
            for (String step : operation.manualSteps()) {
                out.printf("  %-11s   - %s%n", "", step);
            }
        }
    }

    private static void printRebuilds(PrintWriter out, DeploymentPlan plan) {
        List<MigrationPlan.Rebuild> rebuilds = plan.migrations().rebuilds();
        if (rebuilds.isEmpty()) {
            return;
        }
        out.printf("%nRebuild from the raw layer (in chunks, each its own transaction, the apply stage paused):%n");
        for (MigrationPlan.Rebuild rebuild : rebuilds) {
            String table = rebuild.table().replace("\"", "");
            Long rows = plan.rows().get(table);
            out.printf("  %s.%s%s: %s — %s%n", table, rebuild.column(), rebuild.into().map(i -> " (into " + i + ")")
                    .orElse(""), rows == null ? "a new table" : String.format("~%,d rows", rows), rebuild.how());
        }
    }

    private static void printHandWritten(PrintWriter out, DeploymentPlan plan) {
        for (HandWrittenMigration migration : plan.handWritten()) {
            section(out, "Hand-written " + migration.fileName() + " (after the switch, before contract)",
                    List.of(migration.up().strip()), migration.down().map(d -> List.of(d.strip())).orElse(List.of()),
                    false);
        }
    }

    private static void printDependents(PrintWriter out, DeploymentPlan plan) {
        if (plan.dependents().isEmpty()) {
            return;
        }
        out.printf("%nObjects built on what this plan drops or changes (it would break them):%n");
        for (DeploymentPlan.Dependent dependent : plan.dependents()) {
            MigrationPlan.Breaking on = dependent.on();
            out.printf("  %s %s depends on %s.%s%s, which is %s%n", dependent.kind(), dependent.object(), on.schema(),
                    on.table(), on.column().map(c -> "." + c).orElse(""), on.change());
        }
        out.println("  Drop them in a hand-written migration of this deployment (warehouse.migrations), and create "
                + "them again there if they still apply.");
    }

    private static void printLint(PrintWriter out, LintReport lint) {
        int errors = lint.blocking().size();
        int warnings = lint.warnings().size();
        out.printf("%nLint: %d error(s), %d warning(s)%n", errors, warnings);
        for (Finding finding : lint.blocking()) {
            out.println("  " + finding.format());
        }
        for (Finding finding : lint.warnings()) {
            out.println("  " + finding.format());
        }
        for (LintReport.Allowed allowed : lint.allowed()) {
            out.println("  allowed (" + allowed.reason() + "): " + allowed.finding().format());
        }
    }

    private static void section(PrintWriter out, String title, List<String> up, List<String> down,
            boolean lockTimeout) {
        out.printf("%n%s:%n%s%n", title, indent((lockTimeout ? MigrationPlan.LOCK_TIMEOUT + "\n" : "")
                + String.join("\n", up)));
        if (!down.isEmpty()) {
            out.printf("  -- down:%n%s%n", indent(String.join("\n", down)));
        }
    }

    private static String indent(String sql) {
        return sql.lines().map(line -> "    " + line).reduce((a, b) -> a + "\n" + b).orElse("");
    }
}
