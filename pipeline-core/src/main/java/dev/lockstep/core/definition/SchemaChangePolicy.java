package dev.lockstep.core.definition;

/** What happens when a source table's schema changes, from tolerant to strict. */
public enum SchemaChangePolicy {
    /** Drop columns the definition does not know. */
    IGNORE,
    /** Add new pass-through columns to the warehouse by a generated migration, before the first record carrying them. */
    EVOLVE,
    /** Stop the pipeline with an alert. */
    FAIL
}
