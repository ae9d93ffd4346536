package dev.lockstep.core.stream;

/**
 * Where a change sits in the source's commit order: its transaction's commit LSN, then its sequence inside
 * that transaction (1, 2, …, n; 0 is the transaction's BEGIN marker, n + 1 its END marker).
 *
 * <p>Monotonic in commit order, unlike a row's own LSN, which interleaving transactions make jump back.
 * Snapshot rows share the snapshot's LSN and are numbered by sequence.
 */
public record StreamPosition(long commitLsn, long sequence) implements Comparable<StreamPosition> {

    /** Before every position. */
    public static final StreamPosition ZERO = new StreamPosition(0, 0);

    public StreamPosition {
        if (commitLsn < 0 || sequence < 0) {
            throw new IllegalArgumentException("position must not be negative: " + commitLsn + "/" + sequence);
        }
    }

    /** Returns the position of the {@code sequence}-th change of the transaction committed at {@code commitLsn}. */
    public static StreamPosition of(long commitLsn, long sequence) {
        return new StreamPosition(commitLsn, sequence);
    }

    @Override
    public int compareTo(StreamPosition other) {
        int byCommit = Long.compareUnsigned(commitLsn, other.commitLsn);
        return byCommit != 0 ? byCommit : Long.compare(sequence, other.sequence);
    }

    /** Returns true when this position comes after {@code other}. */
    public boolean isAfter(StreamPosition other) {
        return compareTo(other) > 0;
    }

    /** Formats an LSN the way PostgreSQL does ({@code 16/B374D848}). */
    public static String formatLsn(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
    }

    /** Parses an LSN written the way PostgreSQL does ({@code 16/B374D848}). */
    public static long parseLsn(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not an LSN: " + text);
        }
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }

    @Override
    public String toString() {
        return formatLsn(commitLsn) + "#" + sequence;
    }
}
