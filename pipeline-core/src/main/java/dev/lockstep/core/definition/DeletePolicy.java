package dev.lockstep.core.definition;

/** What a source DELETE does to the warehouse rows built from the deleted row. */
public enum DeletePolicy {
    /** Keep the rows and mark them deleted ({@code is_deleted}); facts keep pointing at them. */
    SOFT,
    /** Delete the rows. */
    HARD
}
