package dev.lockstep.app;

import dev.lockstep.core.stream.StreamPosition;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Lockstep as a library: deploys a pipeline definition and runs it in this process — what {@code lockstep run}
 * does, without the terminal. For benchmarks and programs that embed Lockstep.
 */
public final class EmbeddedRun implements AutoCloseable {

    private final PipelineRun run;

    private EmbeddedRun(PipelineRun run) {
        this.run = run;
    }

    /**
     * Validates {@code definition} against its databases, applies the control and warehouse migrations and starts
     * extract and apply, streaming through Kafka at {@code bootstrapServers}; {@code ${VAR}}s in the definition are
     * looked up in {@code environment}.
     */
    public static EmbeddedRun start(Path definition, Function<String, String> environment, String bootstrapServers) {
        WarehouseDeployment deployment = WarehouseDeployment.deploy(definition, environment);
        return new EmbeddedRun(PipelineRun.start(deployment, PipelineFiles.extractSettings(deployment.definition(),
                bootstrapServers), line -> { }, PipelineRun.DEFAULT_FAULT_DEADLINE));
    }

    /** Returns the source position the warehouse reflects (as of a fraction of a second ago). */
    public StreamPosition applied() {
        return run.applyProgress().applied();
    }

    /** Returns how many row changes the extract has streamed since the start. */
    public long extractedChanges() {
        return run.extractMetrics().totalEvents();
    }

    /** Returns how many records of the changes topic the apply stage has still to apply. */
    public long recordsBehind() {
        PipelineRun.ApplyProgress progress = run.applyProgress();
        return Math.max(0, progress.topicEnd() - progress.nextOffset());
    }

    /** Completes when the run stopped; exceptionally when a stage failed. */
    public CompletableFuture<Void> completion() {
        return run.completion();
    }

    /** Stops cleanly: the extract, then the apply stage once it drained the changes topic. */
    @Override
    public void close() {
        run.stop();
    }
}
