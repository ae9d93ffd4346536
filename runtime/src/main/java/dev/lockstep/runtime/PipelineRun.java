package dev.lockstep.runtime;

import dev.lockstep.connectors.ExtractMetrics;
import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.warehouse.star.TargetCounts;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pipeline running in this process: the extract stage streaming the source's changes into Kafka, and the apply
 * stage (on its own thread) loading them into the warehouse — or one of them alone ({@link Stages}), the other
 * running elsewhere: {@code lockstep run}, {@code extract} and {@code apply} all run this loop. {@link #stop()} stops
 * the extract — which commits its in-flight transactions to Kafka — then lets the apply stage drain the changes topic
 * and commit its last batch (alone, the apply stage stops at the batch boundary it reached); the next run resumes from
 * there.
 *
 * <p>Supervision lives here, apart from both loops: a stage that fails because a system it needs is unreachable
 * (the source, Kafka, the warehouse) is paused and started again, with back-off, from what was committed — the
 * extract from its offsets on Kafka, the apply stage from its offset in the warehouse — until the system is back or
 * the fault deadline has passed; then, as on any other failure, the run stops and the other stage with it.
 */
public final class PipelineRun implements AutoCloseable {

    /** How long a system may stay unreachable before the run gives up, unless told otherwise. */
    public static final Duration DEFAULT_FAULT_DEADLINE = Duration.ofMinutes(5);

    private static final Logger LOG = LoggerFactory.getLogger(PipelineRun.class);
    private static final Duration POLL = Duration.ofMillis(20);
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);
    private static final long PUBLISH_NANOS = 200_000_000L;
    private static final long TOPIC_END_NANOS = 1_000_000_000L;
    private static final Duration KAFKA_PROBE_TIMEOUT = Duration.ofSeconds(3);

    /** Which stages run in this process. */
    public enum Stages {
        /** Extract and apply: {@code lockstep run}. */
        BOTH,
        /** The extract alone ({@code lockstep extract}); the apply stage runs elsewhere, or later. */
        EXTRACT,
        /** The apply stage alone ({@code lockstep apply}); the extract runs elsewhere. */
        APPLY;

        boolean extracts() {
            return this != APPLY;
        }

        boolean applies() {
            return this != EXTRACT;
        }
    }

    /** What the apply stage has done, as last published by its thread. */
    public record ApplyProgress(StreamPosition applied, long nextOffset, long topicEnd, boolean snapshotting,
            boolean snapshotCompleted, long lastCommitMicros, Duration lastBatchLatency,
            Map<String, TargetCounts> targets, Optional<String> deploying) {}

    /** The deployment the apply stage runs (a later version once one switched); null when only the extract runs. */
    private volatile WarehouseDeployment deployment;
    private final ExtractSettings settings;
    private final ExtractMetrics extractMetrics;
    private final Consumer<String> notices;
    private final Duration faultDeadline;
    private final CompletableFuture<Void> completion = new CompletableFuture<>();
    private final ScheduledExecutorService supervisor;
    /** The extract stage; null when only the apply stage runs. */
    private final ExtractSupervision extract;
    private volatile ApplyProgress progress;
    private volatile boolean draining;
    /** The apply stage runs alone and was asked to stop: it stops at the batch boundary it reached. */
    private volatile boolean halting;
    private volatile boolean stopping;
    private volatile Thread applyThread;
    private volatile Outage applyOutage;
    private volatile Outage kafkaOutage;
    private final Admin kafkaProbe;
    private long topicEnd;
    private long topicEndRead;

    private PipelineRun(Stages stages, WarehouseDeployment deployment, ExtractSettings settings,
            Consumer<String> notices, Duration faultDeadline) {
        this.deployment = deployment;
        this.settings = settings;
        this.extractMetrics = new ExtractMetrics(settings.pipeline());
        this.notices = notices;
        this.faultDeadline = faultDeadline;
        this.kafkaProbe = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) KAFKA_PROBE_TIMEOUT.toMillis(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) KAFKA_PROBE_TIMEOUT.toMillis()));
        this.supervisor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lockstep-supervisor-" + settings.pipeline());
            t.setDaemon(true);
            return t;
        });
        this.extract = !stages.extracts() ? null : new ExtractSupervision(settings, extractMetrics, notices,
                faultDeadline, supervisor, new ExtractSupervision.Run() {
                    @Override
                    public boolean ending() {
                        return stopping || completion.isDone();
                    }

                    @Override
                    public void fail(Throwable failure) {
                        PipelineRun.this.fail(failure);
                    }

                    @Override
                    public String committed() {
                        return PipelineRun.this.committed();
                    }
                });
    }

    /**
     * Starts both stages of {@code deployment}: the extract with {@code settings}, then the apply stage reading what
     * it writes. {@code notices} receives one line per event worth telling the user (a quarantine replay served, a
     * stage paused or resumed); a system unreachable for longer than {@code faultDeadline} stops the run.
     */
    public static PipelineRun start(WarehouseDeployment deployment, ExtractSettings settings, Consumer<String> notices,
            Duration faultDeadline) {
        return start(Stages.BOTH, deployment, settings, notices, faultDeadline);
    }

    /**
     * Starts the {@code stages} of a pipeline: as {@link #start(WarehouseDeployment, ExtractSettings, Consumer,
     * Duration)}, or one stage alone. {@code deployment} may be null when only the extract runs (it does not touch
     * the warehouse); {@code settings} names the pipeline and the Kafka cluster either way.
     */
    public static PipelineRun start(Stages stages, WarehouseDeployment deployment, ExtractSettings settings,
            Consumer<String> notices, Duration faultDeadline) {
        if (stages.applies() && deployment == null) {
            throw new IllegalArgumentException("the apply stage needs a deployment");
        }
        PipelineRun run = new PipelineRun(stages, deployment, settings, notices, faultDeadline);
        if (stages.extracts()) {
            run.extract.start();
        }
        if (stages.applies()) {
            ApplyStage apply;
            try {
                apply = ApplyStage.open(deployment, settings.bootstrapServers());
            } catch (RuntimeException e) {
                if (run.extract != null) {
                    run.extract.stop();
                }
                run.supervisor.shutdownNow();
                run.kafkaProbe.close(Duration.ZERO);
                throw e;
            }
            run.progress = run.snapshot(apply, Duration.ZERO);
            Thread thread = new Thread(() -> run.superviseApply(apply), "lockstep-apply-" + settings.pipeline());
            run.applyThread = thread;
            thread.start();
        }
        if (stages.extracts()) {
            run.extract.watch();
        }
        run.supervisor.scheduleWithFixedDelay(run::watchProbes, 1, 1, TimeUnit.SECONDS);
        return run;
    }

    /** Returns the outage the run is paused on now (Kafka's, else the extract's, else the apply stage's), or null. */
    public Outage outage() {
        Outage kafka = kafkaOutage;
        Outage extracting = extract != null ? extract.outage() : null;
        return kafka != null ? kafka : extracting != null ? extracting : applyOutage;
    }

    private void superviseApply(ApplyStage first) {
        ApplyStage apply = first;
        while (apply != null) {
            try {
                applyLoop(apply);
                return;
            } catch (Error e) {
                fail(e);
                return;
            } catch (RuntimeException e) {
                Optional<String> system = Outage.unreachable(e, Outage.WAREHOUSE);
                if (system.isEmpty() || stopping || completion.isDone()) {
                    fail(e);
                    return;
                }
                deployment = apply.deployment();
                apply = reopenApply(new Outage(system.get(), Instant.now(), Outage.cause(e), faultDeadline), e);
            }
        }
    }

    /** Opens the apply stage again, from its committed offset, until it opens or the outage outlasts the deadline. */
    private ApplyStage reopenApply(Outage outage, RuntimeException first) {
        applyOutage = outage;
        notices.accept("Apply stage " + outage.status());
        LOG.debug("pipeline {}: apply stage {}", settings.pipeline(), outage.status(), first);
        Duration backoff = Outage.FIRST_BACKOFF;
        RuntimeException last = first;
        while (!stopping && !completion.isDone()) {
            if (applyOutage.expired(Instant.now())) {
                fail(applyOutage.expiredError(settings.pipeline(), committed(), last));
                return null;
            }
            if (awaitCompletion(backoff)) {
                return null;
            }
            try {
                ApplyStage reopened = ApplyStage.open(deployment, settings.bootstrapServers());
                notices.accept("Apply stage resumed: " + applyOutage.system() + " reachable again after "
                        + seconds(applyOutage.since()));
                applyOutage = null;
                return reopened;
            } catch (RuntimeException e) {
                if (Outage.unreachable(e, Outage.WAREHOUSE).isEmpty()) {
                    fail(e);
                    return null;
                }
                last = e;
                applyOutage = applyOutage.withCause(Outage.cause(e));
                backoff = Outage.nextBackoff(backoff);
            }
        }
        applyOutage = null;
        return null;
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
                deployment = apply.deployment();
                if (!apply.applied().equals(before)) {
                    before = apply.applied();
                    latency = Duration.ofNanos(Math.max(0, System.currentTimeMillis() * 1000 - apply
                            .lastCommitMicros()) * 1000);
                }
                if (completion.isDone() || halting) {
                    progress = snapshot(apply, latency);
                    return; // the run failed, or the apply stage alone was stopped: stop at the batch boundary
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
        }
    }

    /**
     * Every second, on the supervisor thread: probes what a stage may wait on without failing — Debezium retries a
     * lost source connection by itself without limit, and Kafka's clients block in a send or a commit — so that the
     * run shows the pause and enforces the deadline.
     */
    private void watchProbes() {
        if (extract != null) {
            extract.probeSource();
            Optional.ofNullable(deployment).ifPresent(extract::follow); // a switch that changed the source tables
        }
        watchKafka();
    }

    private void watchKafka() {
        Outage outage = kafkaOutage;
        try {
            kafkaProbe.describeCluster().nodes().get(KAFKA_PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (outage != null) {
                kafkaOutage = null;
                notices.accept("Resumed: " + outage.system() + " reachable again after " + seconds(outage.since()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            String cause = e instanceof TimeoutException ? "no answer within " + KAFKA_PROBE_TIMEOUT.toSeconds() + " s"
                    : Outage.cause(e);
            if (outage == null) {
                kafkaOutage = new Outage(Outage.KAFKA, Instant.now(), cause, faultDeadline);
                notices.accept(kafkaOutage.status());
            } else if (outage.expired(Instant.now())) {
                fail(outage.expiredError(settings.pipeline(), committed(), e));
            } else {
                kafkaOutage = outage.withCause(cause);
            }
        }
    }

    /** Waits {@code time}, or less when the run completes; returns true when it completed. */
    private boolean awaitCompletion(Duration time) {
        try {
            completion.get(time.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /** What the next run resumes from, for an error that stops this one. */
    private String committed() {
        ApplyProgress applied = progress;
        return applied != null ? "the warehouse holds everything up to " + applied.applied()
                : "Kafka holds every transaction the extract committed";
    }

    /** How long ago {@code since} was, in whole seconds, for a notice. */
    static String seconds(Instant since) {
        return Duration.between(since, Instant.now()).toSeconds() + " s";
    }

    private ApplyProgress snapshot(ApplyStage apply, Duration latency) {
        return new ApplyProgress(apply.applied(), apply.nextOffset(), topicEnd(apply, false), apply.snapshotting(),
                apply.snapshotCompleted(), apply.lastCommitMicros(), latency, Map.copyOf(apply.targetCounts()),
                apply.deploying());
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
            LOG.debug("pipeline {} failed", settings.pipeline(), failure);
            supervisor.shutdownNow();
            kafkaProbe.close(Duration.ZERO);
            PostgresCdcSource extracting = extract != null ? extract.current() : null;
            if (extracting != null) {
                Thread stopper = new Thread(extracting::stop, "lockstep-extract-stop");
                stopper.setDaemon(true);
                stopper.start();
            }
        }
    }

    /** Returns the deployment this run runs. */
    public WarehouseDeployment deployment() {
        return deployment;
    }

    /** Returns the extract stage's counters (across restarts of the extract). */
    public ExtractMetrics extractMetrics() {
        return extractMetrics;
    }

    /** Returns the WAL the source's slot retains, in bytes (-1 when unknown). */
    public long walRetained() {
        return extractMetrics.walRetainedBytes();
    }

    /**
     * Returns what the apply stage did, as of at most a fraction of a second ago (the topic's end: a second); null
     * when only the extract runs.
     */
    public ApplyProgress applyProgress() {
        return progress;
    }

    /** Completes when the run stopped: normally after {@link #stop()}, exceptionally when a stage failed. */
    public CompletableFuture<Void> completion() {
        return completion;
    }

    /**
     * Stops the run cleanly: the extract first (its in-flight transactions committed to Kafka), then the apply stage
     * once it has applied everything on the changes topic, or after a minute — alone, at the batch boundary it
     * reached. Returns when both stopped.
     */
    public void stop() {
        stopping = true;
        supervisor.shutdownNow();
        kafkaProbe.close(Duration.ZERO);
        if (extract != null) {
            extract.stop();
            draining = true;
        } else {
            halting = true;
        }
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
    public static RuntimeException failure(Throwable cause) {
        Throwable failure = cause instanceof CompletionException c && c.getCause() != null ? c.getCause() : cause;
        return failure instanceof LockstepException l ? l
                : new LockstepException(ErrorCode.UNAVAILABLE, "pipeline failed: " + failure, failure);
    }
}
