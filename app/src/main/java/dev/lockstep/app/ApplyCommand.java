package dev.lockstep.app;

import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.runtime.ApplyStage;
import dev.lockstep.runtime.WarehouseDeployment;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lockstep apply}: runs the apply stage alone — raw layer, dimensions and facts. */
@Command(name = "apply",
        description = "Apply the pipeline's change stream to the warehouse, exactly once: one warehouse transaction "
                + "per batch of whole source transactions updates the raw layer (<schema>_raw, a current-state mirror "
                + "of each source table), then transforms and loads the dimensions (SCD 1/2) and facts. Checks the "
                + "definition against both databases and creates the control schema, raw layer and star schema "
                + "first (Flyway). Quality rules run in the same transaction (rows diverted to lockstep.quarantine), aggregate "
                + "rules on a schedule; alerts and quarantine records are relayed to Kafka and webhooks. Serves "
                + "quarantine replay requests between batches. Runs until Ctrl-C.")
final class ApplyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PipelineFileOptions pipeline;

    private volatile boolean running = true;

    @Override
    public Integer call() throws Exception {
        WarehouseDeployment deployment = WarehouseDeployment.deploy(pipeline.file);
        PipelineDefinition definition = deployment.definition();
        String schema = definition.warehouse().schema();
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread stopper = new Thread(() -> {
            running = false;
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "lockstep-apply-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        try (ApplyStage stage = ApplyStage.open(deployment, pipeline.kafka.bootstrapServers)) {
            out.printf("Applying pipeline %s to warehouse schema %s and its raw layer %s_raw (Ctrl-C to stop)%n",
                    definition.pipeline(), schema, schema);
            long lastPrint = 0;
            while (running) {
                stage.step(Duration.ofMillis(100), replay -> out.printf("%nServed quarantine replay %d: %d loaded, "
                        + "%d diverted again, %d superseded, %d still undecodable%n", replay.requestId(),
                        replay.loaded(), replay.diverted(), replay.superseded(), replay.undecodable()));
                if (System.nanoTime() - lastPrint > 1_000_000_000L) {
                    out.printf("\r%s: applied through %s, next offset %,d   ", stage.snapshotting()
                            ? "snapshotting" : "streaming", stage.applied(), stage.nextOffset());
                    out.flush();
                    lastPrint = System.nanoTime();
                }
            }
            out.printf("%nStopped pipeline %s's apply at %s; the next run resumes there.%n",
                    definition.pipeline(), stage.applied());
            out.flush();
        } finally {
            stopped.countDown();
        }
        return 0;
    }
}
