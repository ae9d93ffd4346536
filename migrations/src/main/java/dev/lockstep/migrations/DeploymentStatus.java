package dev.lockstep.migrations;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * Where a pipeline's newest deployment stands, as {@code lockstep status} and a waiting {@code lockstep deploy} show
 * it.
 *
 * @param version the definition version
 * @param state its state
 * @param contractRequested whether the contract phase is due: {@code --contract} asked for it, or the
 *     {@code --contract-after} delay passed since the switch
 * @param progress what the step under way has done (rows rebuilt so far, ...)
 * @param failure why it failed, or why its last attempt at a step failed (retried)
 * @param switchLsn commit LSN of the last change loaded under the previous version, once switched
 * @param switchSequence the sequence within that transaction, once switched
 * @param operator who deployed it
 * @param updatedAt when its state, progress or failure last changed
 * @param chunkRows source rows per rebuild chunk
 */
public record DeploymentStatus(int version, DeploymentState state, boolean contractRequested,
        Optional<String> progress, Optional<String> failure, Optional<Long> switchLsn, Optional<Long> switchSequence,
        Optional<String> operator, Instant updatedAt, int chunkRows) {

    public DeploymentStatus {
        requireNonNull(state, "state");
        requireNonNull(progress, "progress");
        requireNonNull(failure, "failure");
        requireNonNull(switchLsn, "switchLsn");
        requireNonNull(switchSequence, "switchSequence");
        requireNonNull(operator, "operator");
        requireNonNull(updatedAt, "updatedAt");
    }
}
