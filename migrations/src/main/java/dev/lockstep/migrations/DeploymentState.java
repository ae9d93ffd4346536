package dev.lockstep.migrations;

import java.util.Locale;

/**
 * Where a deployment of a definition version stands ({@code lockstep.deployments.state}). A changed definition moves
 * planned → expanding → rebuilding → switched → contracting → done; each state is recorded when the step before it
 * committed, so a deploy killed at any step resumes from the state it left.
 */
public enum DeploymentState {
    /** Recorded with its scripts; nothing ran yet. */
    PLANNED,
    /** The expand migration (additive DDL) is being applied. */
    EXPANDING,
    /** The expand phase is applied; shadow columns are being rebuilt from the raw layer. */
    REBUILDING,
    /** The switch committed: the warehouse has the new shape, the applier loads with the new version. */
    SWITCHED,
    /** The contract migration (drops) is being applied. */
    CONTRACTING,
    /** Complete. */
    DONE,
    /** Undone by a rollback before or after its switch. */
    ROLLED_BACK,
    /** Stopped by an error that resuming cannot get past (see the recorded failure). */
    FAILED;

    /** Returns the value the control schema stores. */
    public String sql() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Returns the state stored as {@code value}. */
    public static DeploymentState of(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }

    /** Tells whether a deployment in this state is under way: at most one per pipeline is. */
    public boolean active() {
        return switch (this) {
            case PLANNED, EXPANDING, REBUILDING, SWITCHED, CONTRACTING -> true;
            case DONE, ROLLED_BACK, FAILED -> false;
        };
    }

    /** Tells whether the warehouse has this version's shape (the applier loads with it). */
    public boolean switched() {
        return this == SWITCHED || this == CONTRACTING || this == DONE;
    }
}
