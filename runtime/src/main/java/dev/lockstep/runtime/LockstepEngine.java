package dev.lockstep.runtime;

import dev.lockstep.core.stream.StreamPosition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Lockstep as a library: deploys a pipeline definition and runs it in this process — what {@code lockstep run} does,
 * without the terminal. For programs that embed Lockstep, and for the benchmarks.
 *
 * <pre>{@code
 * try (LockstepEngine engine = LockstepEngine.builder(Path.of("pipeline.yaml"))
 *         .kafka("localhost:9092")
 *         .notices(System.out::println)
 *         .start()) {
 *     engine.completion().join();
 * }
 * }</pre>
 */
public final class LockstepEngine implements AutoCloseable {

    private final PipelineRun run;

    private LockstepEngine(PipelineRun run) {
        this.run = run;
    }

    /** Starts building an engine for the pipeline definition in {@code definition}. */
    public static Builder builder(Path definition) {
        return new Builder(definition);
    }

    /** Returns the source position the warehouse reflects (as of a fraction of a second ago). */
    public StreamPosition applied() {
        return run.applyProgress().applied();
    }

    /** Returns how many row changes the extract has streamed since the start. */
    public long extractedChanges() {
        return run.extractMetrics().totalEvents();
    }

    /** Returns how many records of the changes topic the apply stage has still to apply (as of a second ago). */
    public long recordsBehind() {
        PipelineRun.ApplyProgress progress = run.applyProgress();
        return Math.max(0, progress.topicEnd() - progress.nextOffset());
    }

    /** Completes when the run stopped; exceptionally when a stage failed or an outage outlasted the deadline. */
    public CompletableFuture<Void> completion() {
        return run.completion();
    }

    /** Stops cleanly: the extract, then the apply stage once it drained the changes topic. */
    @Override
    public void close() {
        run.stop();
    }

    /** What an engine needs besides its definition file; every setting has a default but Kafka's address. */
    public static final class Builder {

        private final Path definition;
        private Function<String, String> environment = System::getenv;
        private String bootstrapServers;
        private Consumer<String> notices = line -> { };
        private Duration faultDeadline = PipelineRun.DEFAULT_FAULT_DEADLINE;

        private Builder(Path definition) {
            this.definition = Objects.requireNonNull(definition, "definition");
        }

        /** Where {@code ${VAR}}s in the definition are looked up (default: the process environment). */
        public Builder environment(Function<String, String> environment) {
            this.environment = Objects.requireNonNull(environment, "environment");
            return this;
        }

        /** The Kafka cluster the changes topic lives on ({@code host:port,...}); required. */
        public Builder kafka(String bootstrapServers) {
            this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            return this;
        }

        /**
         * Receives one line per event worth telling an operator: a quarantine replay served, a stage paused on an
         * unreachable system or resumed (default: dropped; they are logged as well).
         */
        public Builder notices(Consumer<String> notices) {
            this.notices = Objects.requireNonNull(notices, "notices");
            return this;
        }

        /** How long a system may stay unreachable before the run stops with a failure (default 5 minutes). */
        public Builder faultDeadline(Duration faultDeadline) {
            if (faultDeadline.isNegative() || faultDeadline.isZero()) {
                throw new IllegalArgumentException("faultDeadline must be positive: " + faultDeadline);
            }
            this.faultDeadline = faultDeadline;
            return this;
        }

        /**
         * Validates the definition against its databases, applies the control and warehouse migrations and starts
         * the extract and the apply stage. Throws {@link dev.lockstep.core.LockstepException} naming every mistake
         * when the definition or its databases are not fit to run.
         */
        public LockstepEngine start() {
            if (bootstrapServers == null) {
                throw new IllegalStateException("kafka(bootstrapServers) is required");
            }
            WarehouseDeployment deployment = WarehouseDeployment.deploy(definition, environment);
            return new LockstepEngine(PipelineRun.start(deployment,
                    PipelineFiles.extractSettings(deployment.definition(), bootstrapServers), notices, faultDeadline));
        }
    }
}
