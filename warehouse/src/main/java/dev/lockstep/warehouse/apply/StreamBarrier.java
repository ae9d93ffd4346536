package dev.lockstep.warehouse.apply;

import dev.lockstep.core.stream.StreamPosition;

/**
 * A position the applier's stream stops before: the first source transaction that committed at or after
 * {@link #set its LSN} is left for later, so that at the control point after the batch the warehouse holds every
 * transaction committed before it and none after — the exact position a reconcile compares the source at. Not
 * thread-safe: the applier's thread only.
 */
public final class StreamBarrier {

    private long lsn = Long.MAX_VALUE;
    private boolean reached;

    /** Stops the stream before the first transaction that committed at or after {@code lsn}. */
    public void set(long lsn) {
        this.lsn = lsn;
        this.reached = false;
    }

    /** Lets the stream go on. */
    public void clear() {
        lsn = Long.MAX_VALUE;
        reached = false;
    }

    /** Tells whether the stream stopped at the barrier: a transaction at or after it was left for later. */
    public boolean reached() {
        return reached;
    }

    /** Tells whether the transaction starting at {@code begin} must wait; notes that the barrier was reached. */
    boolean stops(StreamPosition begin) {
        if (begin.commitLsn() >= lsn) {
            reached = true;
            return true;
        }
        return false;
    }
}
