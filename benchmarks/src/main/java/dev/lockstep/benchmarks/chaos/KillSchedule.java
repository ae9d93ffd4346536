package dev.lockstep.benchmarks.chaos;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * When one chaos run kills {@code lockstep run}: a pure function of the run's seed, the number of kills and the
 * workload's size, so that a printed run seed replays the same schedule.
 *
 * <p>The run seed's two low bits choose the shape, and {@link #runSeed(long, int)} sets them from the run index, so
 * that every four consecutive runs hold each shape once: bit 0 clear — the first kill falls in the initial snapshot,
 * else in the first process's start-up; bit 1 clear (and two kills or more) — the last kill falls in the catch-up
 * after the workload ended, preceded by a streaming kill near the workload's end so that the restarted process has
 * a backlog to catch up on. The kills in between are streaming kills at seeded points of the workload, one in five a
 * start-up kill of the process the previous kill restarted.
 */
record KillSchedule(long runSeed, List<PlannedKill> kills) {

    /** Start-up kills fall this long after the process started, at the earliest and at the latest. */
    static final long STARTUP_MIN_MILLIS = 300;
    static final long STARTUP_MAX_MILLIS = 3_000;
    /** Snapshot kills fall up to this long after the process printed "Running pipeline". */
    static final long SNAPSHOT_MAX_MILLIS = 4_500;
    /** Catch-up kills fall up to this long after the workload ended and the process runs. */
    static final long CATCH_UP_MAX_MILLIS = 250;

    private static final double STREAMING_FROM = 0.1;
    private static final double STREAMING_TO = 0.9;
    private static final double BEFORE_CATCH_UP_FROM = 0.93;
    private static final double BEFORE_CATCH_UP_TO = 0.99;
    private static final long KILLS_STREAM = 0x6b696c6c73L; // keeps the kill draws apart from the workload's seed

    /**
     * One planned kill: its phase, and when in that phase — {@code delayMillis} after the phase's trigger (start-up:
     * the process started; snapshot: it printed "Running pipeline"; catch-up: the workload ended and the process
     * printed "Running pipeline"), or for a streaming kill once the workload wrote {@code atChanges} row changes (and
     * the snapshot is applied and the process runs).
     */
    record PlannedKill(Phase phase, long delayMillis, long atChanges) {
        PlannedKill {
            requireNonNull(phase, "phase");
            if (phase == Phase.CAUGHT_UP) {
                throw new IllegalArgumentException("a kill is never planned for a caught-up pipeline");
            }
            if (delayMillis < 0 || atChanges < 0) {
                throw new IllegalArgumentException("delay and position are never negative");
            }
        }

        /** Returns when the kill falls, as printed: "2.1 s after the process started", "at 31,250 changes written". */
        String describe() {
            return switch (phase) {
                case STARTUP -> String.format("%.1f s after the process started", delayMillis / 1e3);
                case SNAPSHOT -> String.format("%.1f s after \"Running pipeline\"", delayMillis / 1e3);
                case STREAMING -> String.format("at %,d changes written", atChanges);
                case CATCH_UP -> String.format("%.1f s after the workload ended and the process ran", delayMillis
                        / 1e3);
                case CAUGHT_UP -> "never";
            };
        }
    }

    KillSchedule {
        kills = List.copyOf(kills);
    }

    /** Returns the seed of run {@code index} (from 0) of a chaos program started with {@code seed}. */
    static long runSeed(long seed, int index) {
        if (index < 0) {
            throw new IllegalArgumentException("run index must be >= 0");
        }
        SplittableRandom runs = new SplittableRandom(seed);
        long drawn = runs.nextLong();
        for (int i = 0; i < index; i++) {
            drawn = runs.nextLong();
        }
        return (drawn & ~3L) | (index & 3);
    }

    /** Returns the workload's seed for a run: the run seed decides the source changes too. */
    static long workloadSeed(long runSeed) {
        return new SplittableRandom(runSeed).nextLong();
    }

    /** Draws the schedule of {@code kills} kills for a run whose workload writes {@code changes} row changes. */
    static KillSchedule draw(long runSeed, int kills, long changes) {
        if (kills < 0 || changes <= 0) {
            throw new IllegalArgumentException("kills must be >= 0 and changes > 0");
        }
        SplittableRandom random = new SplittableRandom(runSeed ^ KILLS_STREAM);
        Phase[] phases = phases(runSeed, kills, random);
        boolean lateStreaming = kills >= 3 && phases[kills - 1] == Phase.CATCH_UP;
        double[] points = streamingPoints(phases, lateStreaming, random);
        List<PlannedKill> planned = new ArrayList<>();
        int streaming = 0;
        for (Phase phase : phases) {
            planned.add(switch (phase) {
                case STARTUP -> new PlannedKill(phase, between(random, STARTUP_MIN_MILLIS, STARTUP_MAX_MILLIS), 0);
                case SNAPSHOT -> new PlannedKill(phase, between(random, 0, SNAPSHOT_MAX_MILLIS), 0);
                case CATCH_UP -> new PlannedKill(phase, between(random, 0, CATCH_UP_MAX_MILLIS), 0);
                case STREAMING -> new PlannedKill(phase, 0, Math.max(1, Math.round(points[streaming++] * changes)));
                case CAUGHT_UP -> throw new IllegalStateException("never planned");
            });
        }
        return new KillSchedule(runSeed, planned);
    }

    private static Phase[] phases(long runSeed, int kills, SplittableRandom random) {
        Phase[] phases = new Phase[kills];
        for (int i = 0; i < kills; i++) {
            phases[i] = random.nextInt(5) == 0 ? Phase.STARTUP : Phase.STREAMING;
        }
        if (kills >= 1) {
            phases[0] = (runSeed & 1) == 0 ? Phase.SNAPSHOT : Phase.STARTUP;
        }
        if (kills >= 2) {
            phases[kills - 1] = (runSeed & 2) == 0 ? Phase.CATCH_UP : Phase.STREAMING;
        }
        if (kills >= 3 && phases[kills - 1] == Phase.CATCH_UP) {
            phases[kills - 2] = Phase.STREAMING;
        }
        return phases;
    }

    /** Fractions of the workload at which the streaming kills fall, ascending. */
    private static double[] streamingPoints(Phase[] phases, boolean lateStreaming, SplittableRandom random) {
        int count = (int) Arrays.stream(phases).filter(p -> p == Phase.STREAMING).count();
        double[] points = new double[count];
        int early = lateStreaming ? count - 1 : count;
        for (int i = 0; i < early; i++) {
            points[i] = STREAMING_FROM + random.nextDouble() * (STREAMING_TO - STREAMING_FROM);
        }
        Arrays.sort(points, 0, early);
        if (lateStreaming) {
            points[count - 1] = BEFORE_CATCH_UP_FROM + random.nextDouble() * (BEFORE_CATCH_UP_TO
                    - BEFORE_CATCH_UP_FROM);
        }
        return points;
    }

    private static long between(SplittableRandom random, long from, long to) {
        return from + random.nextLong(to - from);
    }
}
