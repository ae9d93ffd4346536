package dev.lockstep.app;

import dev.lockstep.runtime.Deployer;
import dev.lockstep.runtime.PipelineFiles;
import dev.lockstep.runtime.Rollback;
import java.io.PrintWriter;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lockstep rollback}: deploys an older definition version again ({@link Rollback}). */
@Command(name = "rollback",
        description = "Roll the pipeline back to an older definition version (default: the one before the newest). "
                + "A deployment still before its switch is cancelled: its shadow columns dropped by a new forward "
                + "migration (the apply stage must be stopped). Otherwise the newest deployment is finished and the "
                + "older version's text deployed as the next version: the columns it changed are rebuilt from the raw "
                + "layer under the older definition, as a deploy does (handed to `lockstep run` when it runs), and "
                + "the hand-written migrations of the versions rolled back undone by their down scripts. What cannot "
                + "come back (historical SCD 2 values, a hand-written migration without a down script) is named and "
                + "refused without --force. Exit code 0 "
                + "done, 2 refused, 4 the apply stage runs during a cancel, or another deployment is under way.")
final class RollbackCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DefinitionFileOption definitionFile;

    @Mixin
    LintOverrideOptions lint;

    @Mixin
    DeploymentOptions deployment;

    @Option(names = "--to", paramLabel = "VERSION", description = "The definition version to roll back to. Default: "
            + "the version before the newest.")
    Integer to;

    @Option(names = "--force", description = "Roll back even though some values cannot come back (named first).")
    boolean force;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String pipeline = PipelineFiles.load(definitionFile.file).pipeline();
        Deployer.Outcome outcome = Rollback.rollBack(definitionFile.file, deployment.options(lint, out),
                to == null ? OptionalInt.empty() : OptionalInt.of(to), force);
        deployment.print(out, pipeline, outcome, definitionFile.file);
        return 0;
    }
}
