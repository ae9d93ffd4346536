package dev.lockstep.app;

import dev.lockstep.connectors.ExtractMetrics;
import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.warehouse.star.StarLoader;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pipeline running in this process: the extract stage streaming the source's changes into Kafka, and the apply
 * stage (on its own thread) loading them into the warehouse. {@link #stop()} stops the extract — which commits its
 * in-flight transactions to Kafka — then lets the apply stage drain the changes topic and commit its last batch;
 * the next run resumes from there. Either stage failing stops the other.
 */
final class PipelineRun implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineRun.class);
    private static final Duration POLL = Duration.ofMillis(20);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);
    private static final long PUBLISH_NANOS = 200_000_000L;
    private static final long TOPIC_END_NANOS = 1_000_000_000L;

    /** What the apply stage has done, as last published by its thread. */
    record ApplyProgress(StreamPosition applied, long nextOffset, long topicEnd, boolean snapshotting,
            boolean snapshotCompleted, long lastCommitMicros, Duration lastBatchLatency, Map<String, StarLoader.TargetCounts> targets) {}

    private final WarehouseDeployment deployment;
    private final PostgresCdcSource extract;
    private final Consumer<String> notices;
    private final CompletableFuture<Void> completion = new CompletableFuture<>();
    private volatile ApplyProgress progress;
    private volatile boolean draining;
    private volatile Thread applyThread;
    private long topicEnd;
    private long topicEndRead;

    private PipelineRun(WarehouseDeployment deployment, ExtractSettings settings, Consumer<String> notices) {
        this.deployment = deployment;
        this.extract = new PostgresCdcSource(settings);
        this.notices = notices;
    }

    /**
     * Starts both stages of {@code deployment}: the extract with {@code settings}, then the apply stage reading what
     * it writes. {@code notices} receives one line per event worth telling the user (a quarantine replay served).
     */
    static PipelineRun start(WarehouseDeployment deployment, ExtractSettings settings, Consumer<String> notices) {
        PipelineRun run = new PipelineRun(deployment, settings, notices);
        run.extract.start();
        ApplyStage apply;
        try {
            apply = ApplyStage.open(deployment, settings.bootstrapServers());
        } catch (RuntimeException e) {
            run.extract.stop();
            throw e;
        }
        run.progress = run.snapshot(apply, Duration.ZERO);
        Thread thread = new Thread(() -> run.applyLoop(apply), "lockstep-apply-" + settings.pipeline());
        run.applyThread = thread;
        thread.start();
        run.extract.completion().whenComplete((ignored, failure) -> {
            if (failure != null) {
                run.fail(failure instanceof CompletionException c && c.getCause() != null ? c.getCause() : failure);
            }
        });
        return run;
    }

    private void applyLoop(ApplyStage apply) {
        long drainDeadline = 0;
        long lastPublish = 0;
        StreamPosition before = apply.applied();
        Duration latency = Duration.ZERO;
        try (apply) {
            while (true) {
                apply.step(POLL, replay -> notices.accept(String.format("Served quarantine replay %d: %d loaded, "
                        + "%d diverted again, %d superseded, %d still undecodable", replay.requestId(),
                        replay.loaded(), replay.diverted(), replay.superseded(), replay.undecodable())));
                if (!apply.applied().equals(before)) {
                    before = apply.applied();
                    latency = Duration.ofNanos(Math.max(0, System.currentTimeMillis() * 1000 - apply
                            .lastCommitMicros()) * 1000);
                }
                if (completion.isDone()) {
                    return; // the extract failed: stop at the batch boundary reached
                }
                if (draining) {
                    if (drainDeadline == 0) {
                        drainDeadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
                    }
                    if (apply.nextOffset() >= topicEnd(apply, true)) {
                        progress = snapshot(apply, latency);
                        return;
                    }
                    if (System.nanoTime() > drainDeadline) {
                        LOG.warn("pipeline {}: the apply stage did not catch up with the changes topic within {}; "
                                + "stopping at {} (the next run goes on from there)",
                                deployment.definition().pipeline(), DRAIN_TIMEOUT, apply.applied());
                        return;
                    }
                }
                if (System.nanoTime() - lastPublish > PUBLISH_NANOS) {
                    progress = snapshot(apply, latency);
                    lastPublish = System.nanoTime();
                }
            }
        } catch (RuntimeException | Error e) {
            fail(e);
        }
    }

    private ApplyProgress snapshot(ApplyStage apply, Duration latency) {
        return new ApplyProgress(apply.applied(), apply.nextOffset(), topicEnd(apply, false), apply.snapshotting(),
                apply.snapshotCompleted(), apply.lastCommitMicros(), latency, Map.copyOf(apply.targetCounts()));
    }

    /**
     * Returns the end of the changes topic: read from the broker at most once a second (a round trip the apply
     * thread makes between batches), or now when {@code fresh} (draining: the stop waits on it).
     */
    private long topicEnd(ApplyStage apply, boolean fresh) {
        if (fresh || System.nanoTime() - topicEndRead > TOPIC_END_NANOS) {
            topicEnd = apply.topicEnd();
            topicEndRead = System.nanoTime();
        }
        return topicEnd;
    }

    private void fail(Throwable failure) {
        if (completion.completeExceptionally(failure)) {
            LOG.debug("pipeline {} failed", deployment.definition().pipeline(), failure);
            Thread stopper = new Thread(extract::stop, "lockstep-extract-stop");
            stopper.setDaemon(true);
            stopper.start();
        }
    }

    /** Returns the deployment this run runs. */
    WarehouseDeployment deployment() {
        return deployment;
    }

    /** Returns the extract stage's counters. */
    ExtractMetrics extractMetrics() {
        return extract.metrics();
    }

    /** Returns the WAL the source's slot retains, in bytes (-1 when unknown). */
    long walRetained() {
        return extract.metrics().walRetainedBytes();
    }

    /** Returns what the apply stage did, as of at most a fraction of a second ago (the topic's end: a second). */
    ApplyProgress applyProgress() {
        return progress;
    }

    /** Completes when the run stopped: normally after {@link #stop()}, exceptionally when a stage failed. */
    CompletableFuture<Void> completion() {
        return completion;
    }

    /**
     * Stops the run cleanly: the extract first (its in-flight transactions committed to Kafka), then the apply stage
     * once it has applied everything on the changes topic, or after a minute. Returns when both stopped.
     */
    void stop() {
        extract.stop();
        draining = true;
        Thread thread = applyThread;
        if (thread != null) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        completion.complete(null);
    }

    @Override
    public void close() {
        stop();
    }

    /** Rethrows the failure the run stopped with, as the CLI reports it. */
    static RuntimeException failure(Throwable cause) {
        Throwable failure = cause instanceof CompletionException c && c.getCause() != null ? c.getCause() : cause;
        return failure instanceof LockstepException l ? l
                : new LockstepException(ErrorCode.UNAVAILABLE, "pipeline failed: " + failure, failure);
    }
}
