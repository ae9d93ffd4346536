package dev.lockstep.connectors.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The extract's one rule for where Debezium resumes streaming: from the commit LSN of the last source transaction
 * on the changes topic, taking whole every transaction PostgreSQL sends from there.
 *
 * <p>The extract stores offsets only at transaction boundaries ({@link SlotConfirmation}: an END marker, or a
 * heartbeat read while no transaction was open). Started at such an offset, PostgreSQL sends exactly the transactions
 * whose commit record lies after it, each from its first change — including one that was already writing when the
 * stored one committed. Debezium does not rely on that: given the LSN of the last change it processed ({@code
 * lsn_proc}) it first searches the stream for that change and drops everything up to it. At a boundary that LSN is
 * the commit's end, which on PostgreSQL 17 is also the start of the next WAL record; when that record is a change of
 * a transaction still open at the commit, the search takes it for the last change processed and drops the open
 * transaction's changes up to it (fixed upstream in Debezium 3.7, debezium/dbz#76). An offset at a boundary
 * therefore reaches Debezium without {@code lsn_proc}, which turns the search off; Debezium then streams from
 * {@code lsn}, the same commit LSN. Any other offset (a snapshot's, a logical decoding message's) is left as stored.
 */
final class ResumeOffset {

    static final String CHANGE_LSN = "lsn_proc";
    static final String COMMIT_LSN = "lsn_commit";
    static final String LSN = "lsn";
    static final String MESSAGE_TYPE = "messageType";

    private ResumeOffset() {
    }

    /** Returns the offset Debezium resumes from, for the offset the extract stored. */
    static Map<String, Object> of(Map<String, ?> stored) {
        Map<String, Object> offset = new HashMap<>(stored);
        if (isTransactionBoundary(stored)) {
            offset.remove(CHANGE_LSN);
        }
        return offset;
    }

    /** True when {@code offset} was taken right after a source transaction's commit, before any later message. */
    static boolean isTransactionBoundary(Map<String, ?> offset) {
        Object commit = offset.get(COMMIT_LSN);
        return "COMMIT".equals(offset.get(MESSAGE_TYPE)) && commit != null
                && Objects.equals(number(commit), number(offset.get(LSN)))
                && Objects.equals(number(commit), number(offset.get(CHANGE_LSN)));
    }

    private static Long number(Object value) {
        return value instanceof Number n ? n.longValue() : null;
    }
}
