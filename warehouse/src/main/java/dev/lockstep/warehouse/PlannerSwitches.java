package dev.lockstep.warehouse;

/**
 * Planner settings sent, transaction-local, around the statements that join a batch's rows to whole warehouse tables.
 * Sent in the round trip of the statements they frame.
 */
public final class PlannerSwitches {

    /**
     * No hash or merge join and no sequential scan where an index serves, so each batch row probes an index (a
     * nested loop); {@link #JOINS_ANY} undoes it. Not for statements that join the work tables to each other (no
     * index: quadratic in a large batch).
     */
    public static final String JOINS_BY_PROBE = "SELECT set_config('enable_hashjoin', 'off', true), "
            + "set_config('enable_mergejoin', 'off', true), set_config('enable_seqscan', 'off', true)";
    /**
     * For conforming: the statement joins the batch's work tables to each other (no index, no statistics) by hash,
     * never by a nested loop comparing every row with every other (measured: 1.2 s for a batch of 5,000 customers),
     * and reaches the raw tables only through the star schema's probes — a nested loop, the one plan a lateral
     * subquery allows, probing an index rather than scanning a table that was small when the plan was made.
     */
    public static final String JOINS_BY_HASH = "SELECT set_config('enable_nestloop', 'off', true), "
            + "set_config('enable_seqscan', 'off', true)";
    /** Every join method and scan allowed again (the session's defaults). */
    public static final String JOINS_ANY = "SELECT set_config('enable_hashjoin', 'on', true), "
            + "set_config('enable_mergejoin', 'on', true), set_config('enable_seqscan', 'on', true), "
            + "set_config('enable_nestloop', 'on', true)";

    private PlannerSwitches() {}
}
