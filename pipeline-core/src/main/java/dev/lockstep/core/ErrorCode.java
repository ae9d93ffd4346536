package dev.lockstep.core;

/** What went wrong, and the exit code the CLI reports for it. */
public enum ErrorCode {
    /** A bug or an unexpected failure inside Lockstep. */
    INTERNAL(1),
    /** The user's input (a definition, an option) is invalid; nothing was changed. */
    INVALID_INPUT(2),
    /** A system Lockstep talks to (PostgreSQL, Kafka) failed or refused; retrying may help. */
    UNAVAILABLE(3),
    /** The pipeline stopped on purpose (a rule with on_fail: fail, a schema change under fail). */
    PIPELINE_STOPPED(4);

    private final int exitCode;

    ErrorCode(int exitCode) {
        this.exitCode = exitCode;
    }

    /** Returns the process exit code for this kind of error. */
    public int exitCode() {
        return exitCode;
    }
}
