package dev.lockstep.benchmarks.chaos;

/** Where a chaos run stood when {@code lockstep run} was killed; planned by a {@link KillSchedule}, then observed. */
enum Phase {

    /** The killed process had not printed "Running pipeline" yet (deploying, starting the extract). */
    STARTUP("start-up"),
    /** It was running, and no process of this run had printed "Initial snapshot applied" yet. */
    SNAPSHOT("snapshot"),
    /** The snapshot was applied and the workload was still writing. */
    STREAMING("streaming"),
    /** The workload had ended and the warehouse did not reflect its last transaction yet. */
    CATCH_UP("catch-up"),
    /** The workload had ended and the warehouse reflected its last transaction (observed only, never planned). */
    CAUGHT_UP("caught up");

    private final String label;

    Phase(String label) {
        this.label = label;
    }

    /** Returns the phase as printed. */
    String label() {
        return label;
    }
}
