package dev.lockstep.app;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Secret;
import dev.lockstep.core.definition.WarehousePostgres;
import dev.lockstep.core.definition.connect.SourceTable;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.stream.ChangeStreamReader;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.quality.QualityMetrics;
import dev.lockstep.warehouse.raw.RawLayerApplier;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
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
        Map<TableId, SourceTable> tables = deployment.tables();
        WarehousePostgres warehouse = definition.warehouse().postgres();
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
        try (Connection connection = connect(warehouse);
                KafkaSchemaStore store = KafkaSchemaStore.open(pipeline.kafka.bootstrapServers);
                Alerting alerting = Alerting.open(definition, deployment.star(), pipeline.kafka.bootstrapServers)) {
            RawLayerApplier applier = RawLayerApplier.open(connection, definition.pipeline(), schema, tables,
                    WarehouseDeployment.VERSION, definition.load().batchSize(), Optional.of(deployment.star()));
            try (ChangeStreamReader reader = ChangeStreamReader.open(pipeline.kafka.bootstrapServers,
                    definition.pipeline(), applier.nextOffset(), applier.applied(), store)) {
                out.printf("Applying pipeline %s to warehouse schema %s and its raw layer %s_raw (Ctrl-C to stop)%n",
                        definition.pipeline(), schema, schema);
                QualityMetrics metrics = new QualityMetrics(definition.pipeline());
                applier.metrics(metrics);
                alerting.metrics(metrics);
                long lastPrint = 0;
                long lastReplayCheck = 0;
                EnvelopeCodec codec = new EnvelopeCodec(store);
                while (running) {
                    try {
                        applier.applyOnce(reader, Duration.ofMillis(100));
                        alerting.tick();
                    } catch (LockstepException e) {
                        if (e.code() == ErrorCode.PIPELINE_STOPPED) {
                            alerting.pipelineFailed(e);
                        }
                        throw e;
                    }
                    if (System.nanoTime() - lastReplayCheck > 1_000_000_000L) {
                        lastReplayCheck = System.nanoTime();
                        for (RawLayerApplier.ReplayOutcome replay : applier.serveReplays(codec)) {
                            out.printf("%nServed quarantine replay %d: %d loaded, %d diverted again, %d superseded, "
                                    + "%d still undecodable%n", replay.requestId(), replay.loaded(), replay.diverted(),
                                    replay.superseded(), replay.undecodable());
                        }
                    }
                    if (System.nanoTime() - lastPrint > 1_000_000_000L) {
                        out.printf("\r%s: applied through %s, next offset %,d   ", applier.snapshotting()
                                ? "snapshotting" : "streaming", applier.applied(), applier.nextOffset());
                        out.flush();
                        lastPrint = System.nanoTime();
                    }
                }
                out.printf("%nStopped pipeline %s's apply at %s; the next run resumes there.%n",
                        definition.pipeline(), applier.applied());
                out.flush();
            }
        } finally {
            stopped.countDown();
        }
        return 0;
    }

    private static Connection connect(WarehousePostgres warehouse) throws SQLException {
        return DriverManager.getConnection(warehouse.jdbcUrl(), warehouse.user(),
                warehouse.password().map(Secret::reveal).orElse(""));
    }
}
