package dev.lockstep.runtime;

import dev.lockstep.connectors.ExtractMetrics;
import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.stream.TableId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The extract stage of a run, supervised: when the source becomes unreachable it is paused and started again with
 * back-off — from what Kafka holds — until it runs again or the outage outlasts the deadline. An outage is seen
 * either by the extract failing, or, while Debezium retries a lost source connection by itself, by the source probe
 * ({@link #probeSource}). Everything but {@link #start} and {@link #stop} runs on the run's supervisor thread.
 */
final class ExtractSupervision {

    private static final Logger LOG = LoggerFactory.getLogger(ExtractSupervision.class);

    /** What the supervision needs of the run it belongs to. */
    interface Run {
        /** True once the run is stopping or has ended: nothing is started again. */
        boolean ending();

        /** Ends the run with {@code failure}. */
        void fail(Throwable failure);

        /** What the next run resumes from, for an error that stops this one. */
        String committed();
    }

    private volatile ExtractSettings settings;
    private final ExtractMetrics metrics;
    private final Consumer<String> notices;
    private final Duration faultDeadline;
    private final ScheduledExecutorService supervisor;
    private final Run run;
    private volatile PostgresCdcSource extract;
    private volatile Outage outage;
    /** Whether {@link #outage} was seen by the source probe (the extract kept running), not by a failure. */
    private volatile boolean probed;

    ExtractSupervision(ExtractSettings settings, ExtractMetrics metrics, Consumer<String> notices,
            Duration faultDeadline, ScheduledExecutorService supervisor, Run run) {
        this.settings = settings;
        this.metrics = metrics;
        this.notices = notices;
        this.faultDeadline = faultDeadline;
        this.supervisor = supervisor;
        this.run = run;
        this.extract = new PostgresCdcSource(settings, metrics);
    }

    /** Starts the extract (a failure to start is thrown); {@link #watch} then takes over its failures. */
    void start() {
        extract.start();
    }

    /** The extract running now (a restart replaces it). */
    PostgresCdcSource current() {
        return extract;
    }

    /** The outage the extract is paused on, or null. */
    Outage outage() {
        return outage;
    }

    /** The source tables the extract captures. */
    List<TableId> tables() {
        return settings.tables();
    }

    /** Captures the source tables of {@code applied}, the version the apply stage loads with, if they differ. */
    void follow(WarehouseDeployment applied) {
        List<TableId> tables = applied.definition().source().tables();
        if (!tables.equals(settings.tables())) {
            capture(tables);
        }
    }

    /**
     * Captures {@code tables} from now on (a deployment that added or dropped source tables switched): the extract
     * running now stops — committing its in-flight transactions — and one with the new tables starts from what Kafka
     * holds (a table new to it is snapshotted incrementally, see {@link PostgresCdcSource#start}). A failure to start
     * is an outage of the source, retried as one. Runs on the supervisor thread; nothing while an outage is open (its
     * restart takes the new tables).
     */
    void capture(List<TableId> tables) {
        settings = settings.withTables(tables);
        if (outage != null || run.ending()) {
            return;
        }
        notices.accept("Extract restarting to capture " + tables);
        extract.stop();
        PostgresCdcSource restarted = new PostgresCdcSource(settings, metrics);
        try {
            restarted.start();
        } catch (RuntimeException e) {
            restarted.stop();
            failed(e);
            return;
        }
        extract = restarted;
        watch(restarted);
        if (run.ending()) {
            restarted.stop();
        }
    }

    /** Stops the extract running now; its in-flight transactions are committed to Kafka first. */
    void stop() {
        extract.stop();
    }

    /** Hands the extract's failure, if it fails, to the supervisor thread, which owns the extract's outages. */
    void watch() {
        watch(extract);
    }

    private void watch(PostgresCdcSource watched) {
        watched.completion().whenComplete((ignored, failure) -> {
            if (failure != null && !run.ending()) {
                Throwable cause = failure instanceof CompletionException c && c.getCause() != null ? c.getCause()
                        : failure;
                supervisor.execute(() -> failed(cause));
            }
        });
    }

    /** Restarts the extract when it failed because a system it needs is unreachable; fails the run otherwise. */
    private void failed(Throwable cause) {
        Optional<String> system = Outage.unreachable(cause, Outage.SOURCE);
        if (system.isEmpty()) {
            run.fail(cause);
            return;
        }
        Outage current = outage != null ? outage.withCause(Outage.cause(cause))
                : new Outage(system.get(), Instant.now(), Outage.cause(cause), faultDeadline);
        outage = current;
        probed = false; // the restart below owns this outage now
        notices.accept("Extract " + current.status());
        LOG.debug("pipeline {}: extract {}", settings.pipeline(), current.status(), cause);
        supervisor.schedule(() -> restart(Outage.FIRST_BACKOFF, cause), Outage.FIRST_BACKOFF.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void restart(Duration backoff, Throwable last) {
        Outage current = outage;
        if (run.ending() || current == null) {
            return;
        }
        if (current.expired(Instant.now())) {
            run.fail(current.expiredError(settings.pipeline(), run.committed(), last));
            return;
        }
        PostgresCdcSource restarted = new PostgresCdcSource(settings, metrics);
        try {
            restarted.start();
        } catch (RuntimeException e) {
            restarted.stop();
            if (Outage.unreachable(e, Outage.SOURCE).isEmpty()) {
                run.fail(e);
                return;
            }
            outage = current.withCause(Outage.cause(e));
            Duration next = Outage.nextBackoff(backoff);
            supervisor.schedule(() -> restart(next, e), next.toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        extract = restarted;
        outage = null;
        notices.accept("Extract resumed: " + current.system() + " reachable again after "
                + PipelineRun.seconds(current.since()));
        watch(restarted);
        if (run.ending()) {
            restarted.stop();
        }
    }

    /**
     * Probes the source through the running extract: Debezium retries a lost source connection by itself without
     * limit, so the run would not otherwise show the pause nor enforce the deadline.
     */
    void probeSource() {
        Outage current = outage;
        if (current != null && !probed) {
            return; // the extract itself failed: restart owns this outage
        }
        PostgresCdcSource.SourceUnreachable down = extract.sourceUnreachable();
        if (down == null) {
            if (current != null) {
                outage = null;
                probed = false;
                notices.accept("Extract resumed: " + current.system() + " reachable again after "
                        + PipelineRun.seconds(current.since()));
            }
        } else if (current == null) {
            Outage seen = new Outage(Outage.SOURCE, down.since(), down.cause(), faultDeadline);
            outage = seen;
            probed = true;
            notices.accept("Extract " + seen.status());
        } else if (current.expired(Instant.now())) {
            run.fail(current.expiredError(settings.pipeline(), run.committed(), null));
        } else {
            outage = current.withCause(down.cause());
        }
    }
}
