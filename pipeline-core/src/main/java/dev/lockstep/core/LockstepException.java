package dev.lockstep.core;

import static java.util.Objects.requireNonNull;

/** The root of Lockstep's unchecked exceptions; its {@link ErrorCode} becomes the CLI's exit code. */
public class LockstepException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public LockstepException(ErrorCode code, String message) {
        super(message);
        this.code = requireNonNull(code, "code");
    }

    public LockstepException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = requireNonNull(code, "code");
    }

    /** Returns what kind of error this is; never null. */
    public ErrorCode code() {
        return code;
    }
}
