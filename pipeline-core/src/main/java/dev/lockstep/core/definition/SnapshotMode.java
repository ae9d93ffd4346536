package dev.lockstep.core.definition;

/** Whether the pipeline first copies the source tables' current rows, or streams only new changes. */
public enum SnapshotMode {
    /** Snapshot every table once, then stream. */
    INITIAL,
    /** Stream changes only; rows that never change never reach the warehouse. */
    NEVER
}
