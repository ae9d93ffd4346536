package dev.lockstep.migrations.plan;

/**
 * What an {@link Operation} does to the warehouse rows that already exist, ordered from tolerant to strict as the
 * coordinator's phases are: additive changes run before the stream switches definition, rebuilds after it, drops
 * only once every record of the old definition is loaded, and refused changes not at all.
 */
public enum Impact {
    /** Existing rows keep their values: a new target, rule or source table, a rename, a comment, a setting. */
    ADDITIVE,
    /** Existing rows must be derived again: a changed expression or type, a new column on a loaded target, SCD. */
    REBUILD,
    /** Something loaded is dropped: a column, a target, a source table's raw rows. */
    DESTRUCTIVE,
    /** Not done by a deployment (grain, key, partitioning, ...); the operation says how to do it by hand. */
    REFUSED
}
