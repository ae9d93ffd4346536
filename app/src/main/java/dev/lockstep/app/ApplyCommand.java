package dev.lockstep.app;

import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.runtime.Outage;
import dev.lockstep.runtime.PipelineFiles;
import dev.lockstep.runtime.PipelineRun;
import dev.lockstep.runtime.WarehouseDeployment;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code lockstep apply}: runs the apply stage alone — raw layer, dimensions and facts. */
@Command(name = "apply",
        description = "Apply the pipeline's change stream to the warehouse, exactly once: one warehouse transaction "
                + "per batch of whole source transactions updates the raw layer (<schema>_raw, a current-state mirror "
                + "of each source table), then transforms and loads the dimensions (SCD 1/2) and facts. Checks the "
                + "definition against both databases and creates the control schema, raw layer and star schema "
                + "first (Flyway). Quality rules run in the same transaction (rows diverted to lockstep.quarantine), aggregate "
                + "rules on a schedule; alerts and quarantine records are relayed to Kafka and webhooks. Serves "
                + "quarantine replay requests between batches. Pauses and retries while the warehouse or Kafka is "
                + "unreachable (--fault-deadline). Runs until Ctrl-C, then stops at the batch boundary it reached.")
final class ApplyCommand implements Callable<Integer>, LogFileOption.LogsToFile {

    @Spec
    CommandSpec spec;

    @Mixin
    PipelineFileOptions pipeline;

    @Mixin
    FaultDeadlineOption faultDeadline;

    @Mixin
    LogFileOption logFile;

    @Override
    public LogFileOption logFile() {
        return logFile;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (Foreground foreground = Foreground.install("lockstep-apply")) {
            WarehouseDeployment deployment = WarehouseDeployment.deploy(pipeline.file);
            PipelineDefinition definition = deployment.definition();
            String schema = definition.warehouse().schema();
            PipelineRun run = PipelineRun.start(PipelineRun.Stages.APPLY, deployment,
                    PipelineFiles.extractSettings(definition, pipeline.kafka.bootstrapServers), line -> {
                        out.printf("%n%s%n", line);
                        out.flush();
                    }, faultDeadline.value);
            out.printf("Applying pipeline %s to warehouse schema %s and its raw layer %s_raw (Ctrl-C to stop)%n",
                    definition.pipeline(), schema, schema);
            out.flush();
            boolean[] snapshotReported = {run.applyProgress().snapshotCompleted()};
            foreground.show(run, () -> {
                PipelineRun.ApplyProgress progress = run.applyProgress();
                if (progress.snapshotCompleted() && !snapshotReported[0]) {
                    snapshotReported[0] = true;
                    out.printf("%nInitial snapshot applied at %s%n", progress.applied());
                }
                Outage outage = run.outage();
                out.printf("\r%s: applied through %s, next offset %,d   ", outage != null ? outage.status()
                        : progress.snapshotting() ? "snapshotting" : "streaming", progress.applied(),
                        progress.nextOffset());
                out.flush();
            });
            Foreground.stop(run, out);
            out.printf("%nStopped pipeline %s's apply at %s; the next run resumes there.%n",
                    definition.pipeline(), run.applyProgress().applied());
            out.flush();
        }
        return 0;
    }
}
