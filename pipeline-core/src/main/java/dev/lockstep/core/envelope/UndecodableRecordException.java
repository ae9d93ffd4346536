package dev.lockstep.core.envelope;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;

/** A record on a Lockstep topic that cannot be decoded: not single-object encoded, unknown schema, corrupt. */
public class UndecodableRecordException extends LockstepException {

    private static final long serialVersionUID = 1L;

    public UndecodableRecordException(String reason, Throwable cause) {
        super(ErrorCode.INVALID_INPUT, reason, cause);
    }
}
