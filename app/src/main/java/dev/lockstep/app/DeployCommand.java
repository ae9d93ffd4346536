package dev.lockstep.app;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.migrations.DeploymentState;
import dev.lockstep.runtime.Deployer;
import dev.lockstep.runtime.DeploymentPlan;
import dev.lockstep.runtime.DryRun;
import dev.lockstep.runtime.WarehouseDeployment;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lockstep deploy}: brings a definition to its pipeline's warehouse. A first deployment is applied as
 * {@code run} would; a changed definition is deployed as the next version ({@link Deployer}: expand, rebuild from the
 * raw layer, switch, contract) with the apply stage paused, or dry-run with {@code --dry-run} — its scripts in a
 * transaction on the live warehouse that is rolled back.
 */
@Command(name = "deploy",
        description = "Deploy the definition to its pipeline's warehouse: the first time, the control schema and the "
                + "generated migrations (what `lockstep run` also does). With --dry-run, run the deployment's "
                + "statements (expand, hand-written, contract, then every down script) in one transaction on the "
                + "live warehouse that is rolled back, bounded by --lock-timeout and --statement-timeout, and report "
                + "each statement's time and the locks it took on live tables; CONCURRENTLY statements are listed as "
                + "not dry-runnable. A changed definition is deployed as the next version: expand (new shadow "
                + "columns), rebuild them from the raw layer in chunks, switch (renamed into place in one "
                + "transaction), the hand-written migrations, then contract (drops) with --contract; `lockstep run` "
                + "must be stopped meanwhile, and a killed deploy resumes when run again with the same file. "
                + "Exit code 0 done (or switched with the contract pending, or dry-run passed), 2 invalid or refused, "
                + "3 a lock or statement timeout, 4 another deployment under way, a running applier, or a change "
                + "the coordinator cannot carry out yet.")
final class DeployCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DefinitionFileOption definitionFile;

    @Mixin
    LintOverrideOptions lint;

    @Mixin
    DeploymentOptions deployment;

    @Option(names = "--dry-run", description = "Run the statements in a transaction that is rolled back.")
    boolean dryRun;

    @Option(names = "--lock-timeout", paramLabel = "DURATION", defaultValue = "PT5S",
            description = "How long a dry-run statement may wait for a lock (ISO-8601). Default: 5 seconds.")
    Duration lockTimeout;

    @Option(names = "--statement-timeout", paramLabel = "DURATION", defaultValue = "PT1M",
            description = "How long a dry-run statement may run (ISO-8601). Default: 1 minute.")
    Duration statementTimeout;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        DeploymentPlan plan = DeploymentPlan.of(definitionFile.file, lint.overrides());
        String pipeline = plan.definition().pipeline();
        if (plan.refused()) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "the deployment of pipeline " + pipeline + " would "
                    + "be refused (refused operations, objects it would break, or lint errors): see `lockstep plan "
                    + definitionFile.file + "`; nothing was changed");
        }
        if (dryRun) {
            return dryRun(out, plan);
        }
        Deployer.Outcome outcome = Deployer.deploy(definitionFile.file, deployment.options(lint, out));
        if (outcome.applied().isEmpty() && outcome.state() == DeploymentState.DONE && outcome.rebuiltRows() == 0) {
            out.printf("Pipeline %s: the warehouse already has this definition (version %d).%n", pipeline,
                    outcome.version());
            return 0;
        }
        deployment.print(out, pipeline, outcome, definitionFile.file);
        return 0;
    }

    private int dryRun(PrintWriter out, DeploymentPlan plan) {
        if (plan.deployed().isEmpty()) {
            out.printf("Pipeline %s is not deployed yet: its first deployment creates the control schema and the "
                    + "warehouse's schemas and tables (`lockstep plan` shows them); no live table to dry-run it on.%n",
                    plan.definition().pipeline());
            return 0;
        }
        String schema = plan.definition().warehouse().schema();
        DryRun.Result result = DryRun.of(plan, WarehouseDeployment.dataSource(plan.definition().warehouse()
                .postgres()), List.of(schema, schema + "_raw"), lockTimeout, statementTimeout);
        out.printf("Dry-run of pipeline %s's deployment (one transaction, rolled back; lock_timeout %s, "
                + "statement_timeout %s):%n", plan.definition().pipeline(), lockTimeout, statementTimeout);
        if (result.steps().isEmpty()) {
            out.println("  nothing to run");
        }
        for (DryRun.Step step : result.steps()) {
            String sql = step.sql().lines().findFirst().orElse("");
            sql = sql.length() > 90 ? sql.substring(0, 87) + "..." : sql;
            if (step.skipped().isPresent()) {
                out.printf("  %-18s %3d  %-10s %s%n      %s%n", step.script(), step.number(), "-", sql,
                        step.skipped().get());
                continue;
            }
            out.printf("  %-18s %3d  %8.1f ms %s%n", step.script(), step.number(), step.took().toNanos() / 1e6, sql);
            for (Map.Entry<String, String> lock : step.locks().entrySet()) {
                out.printf("      locks %s: %s%n", lock.getKey(), lock.getValue());
            }
        }
        if (result.failure().isPresent()) {
            boolean timeout = "55P03".equals(result.failureState().orElse(""))
                    || "57014".equals(result.failureState().orElse(""));
            out.printf("Failed: %s%nRolled back; the warehouse is unchanged.%n", result.failure().get());
            return timeout ? ErrorCode.UNAVAILABLE.exitCode() : ErrorCode.INVALID_INPUT.exitCode();
        }
        out.println("Passed; rolled back, the warehouse is unchanged.");
        return 0;
    }
}
