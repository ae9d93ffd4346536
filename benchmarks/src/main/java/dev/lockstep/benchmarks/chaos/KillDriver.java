package dev.lockstep.benchmarks.chaos;

import dev.lockstep.benchmarks.chaos.KillSchedule.PlannedKill;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Carries out a {@link KillSchedule} on a {@link PipelineUnderTest}: waits for each planned kill's moment, then kills
 * {@code lockstep run} with SIGKILL and restarts it at once, recording the phase observed just before the kill.
 * Kill moments are relative to the run's own events (a process start, a line it printed, the workload's progress or
 * end), so a replayed seed kills at the same points of the run, not at the same wall-clock instants.
 */
final class KillDriver {

    /** A kill carried out: its plan and what it hit. */
    record Kill(int number, PlannedKill plan, PipelineUnderTest.Hit hit) {}

    /** How long a (re)started process may take to print "Running pipeline". */
    static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    private final PipelineUnderTest pipeline;
    private final ShopLoad load;
    private final Duration workloadTimeout;
    private final List<Kill> done = new ArrayList<>();

    /** A driver whose waits on the workload's progress or end give up after {@code workloadTimeout}. */
    KillDriver(PipelineUnderTest pipeline, ShopLoad load, Duration workloadTimeout) {
        this.pipeline = pipeline;
        this.load = load;
        this.workloadTimeout = workloadTimeout;
    }

    /** Carries out every kill of {@code schedule} in order; fails with a {@link ChaosFailure} when a wait times out. */
    void execute(KillSchedule schedule) {
        for (PlannedKill plan : schedule.kills()) {
            awaitMoment(plan);
            done.add(new Kill(done.size() + 1, plan, pipeline.killAndRestart()));
        }
    }

    /** Returns the kills carried out so far (all of them once {@link #execute} returned). */
    List<Kill> done() {
        return List.copyOf(done);
    }

    private void awaitMoment(PlannedKill plan) {
        String kill = "kill " + (done.size() + 1) + " (" + plan.phase().label() + ")";
        switch (plan.phase()) {
            case STARTUP -> pipeline.await(() -> pipeline.current().millisSinceStart() >= plan.delayMillis(),
                    START_TIMEOUT, kill + ": the process's start");
            case SNAPSHOT -> {
                pipeline.await(pipeline::running, START_TIMEOUT, kill + ": \"" + PipelineUnderTest.RUNNING + "\"");
                pipeline.pause(plan.delayMillis());
            }
            case STREAMING -> pipeline.await(() -> (load.changes() >= plan.atChanges() || load.ended())
                    && pipeline.snapshotApplied() && pipeline.running(), workloadTimeout, kill + ": "
                            + String.format("%,d changes written", plan.atChanges()));
            case CATCH_UP -> {
                pipeline.await(() -> load.ended() && pipeline.running(), workloadTimeout, kill
                        + ": the workload's end");
                pipeline.pause(plan.delayMillis());
            }
            case CAUGHT_UP -> throw new IllegalArgumentException("never planned");
        }
    }
}
