package dev.lockstep.benchmarks.chaos;

/** Ends a chaos run early with a reason the report prints: a deadline passed, or a process or the workload failed. */
final class ChaosFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    ChaosFailure(String reason) {
        super(reason);
    }
}
