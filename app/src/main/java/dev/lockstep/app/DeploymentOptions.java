package dev.lockstep.app;

import dev.lockstep.migrations.DeploymentState;
import dev.lockstep.runtime.Deployer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/** The options {@code deploy} and {@code rollback} share: how the deployment runs, and what it prints. */
final class DeploymentOptions {

    /** Names a step at which the deploy halts as a crash would (expand, rebuild, switch, contract): recovery tests. */
    static final String FAIL_POINT = "LOCKSTEP_FAIL_POINT";

    @Option(names = "--contract", description = "Also run the contract phase (drop what the new definition no longer "
            + "has, and the columns the switch replaced); without it the deployment stays switched until deployed "
            + "again with --contract.")
    boolean contract;

    @Option(names = "--contract-after", paramLabel = "DURATION", description = "Run the contract phase by itself "
            + "this long after the switch (ISO-8601, e.g. PT24H): the running pipeline does at a control point, or "
            + "the next `lockstep deploy` of the file once it passed. Recorded with the deployment.")
    Duration contractAfter;

    @Option(names = "--operator", paramLabel = "NAME", description = "Who deploys, recorded with the deployment. "
            + "Default: the OS user.")
    String operator;

    @Option(names = "--chunk-size", paramLabel = "ROWS", defaultValue = "10000",
            description = "Source rows per rebuild chunk (one transaction each; between two batches when the pipeline "
                    + "runs). Default: 10000.")
    int chunkSize;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "PT10M",
            description = "While `lockstep run` runs the pipeline (its applier carries the deployment out between "
                    + "batches), how long to wait for the switch (with --contract: for the end) before returning; the "
                    + "deployment goes on either way (ISO-8601). Default: 10 minutes.")
    Duration waitFor;

    /** Returns the deployer's options, with the lint rules {@code lint} allows; notices go to {@code out}. */
    Deployer.Options options(LintOverrideOptions lint, PrintWriter out) {
        return new Deployer.Options(lint.overrides(), operator == null ? System.getProperty("user.name", "unknown")
                : operator, contract, Optional.ofNullable(contractAfter), chunkSize, waitFor, notice -> {
                    out.println(notice);
                    out.flush();
                }, failPoint(), System::getenv);
    }

    /** Prints what a deployment of {@code pipeline} did. */
    void print(PrintWriter out, String pipeline, Deployer.Outcome outcome, Path file) {
        out.printf("Pipeline %s: version %d %s%s%s.%n", pipeline, outcome.version(),
                outcome.state() == DeploymentState.DONE ? "deployed" : outcome.state().sql().replace('_', ' '),
                outcome.applied().isEmpty() ? "" : ", applied warehouse migration(s) V" + outcome.applied(),
                outcome.rebuiltRows() < 0 ? "" : String.format(", %,d row(s) rebuilt", outcome.rebuiltRows()));
        if (!outcome.pendingContract().isEmpty()) {
            if (contractAfter == null) {
                out.printf("Contract pending (run `lockstep deploy %s --contract` when readers no longer need them):%n",
                        file);
            } else {
                out.printf("Contract pending (it runs by itself %s after the switch; `lockstep deploy %s --contract` "
                        + "runs it now):%n", contractAfter, file);
            }
            outcome.pendingContract().forEach(statement -> out.printf("  %s%n", statement));
        }
    }

    /** The fail-point named by {@value #FAIL_POINT}: the process halts there, as {@code kill -9} would stop it. */
    private static Consumer<Deployer.Step> failPoint() {
        String at = System.getenv(FAIL_POINT);
        if (at == null || at.isBlank()) {
            return step -> { };
        }
        return step -> {
            if (step.name().equalsIgnoreCase(at.strip())) {
                System.err.println("halting at fail-point " + at.strip());
                System.err.flush();
                Runtime.getRuntime().halt(137);
            }
        };
    }
}
