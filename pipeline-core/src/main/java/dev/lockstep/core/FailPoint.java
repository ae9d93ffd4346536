package dev.lockstep.core;

/**
 * Named points where a crash test makes the process die as {@code kill -9} would: no shutdown hook, no flush, no
 * clean close. A test arms one with {@code -Dlockstep.failpoint=<name>} (fire at the first pass) or
 * {@code <name>:<n>} (fire at the n-th pass); production code marks a point with one line, {@code
 * FailPoint.check(FailPoint.AFTER_KAFKA_COMMIT)}, which costs a field read when nothing is armed. Thread-safe.
 */
public final class FailPoint {

    /** The extract sent a batch's records and offsets to Kafka and has not committed the Kafka transaction yet. */
    public static final String BEFORE_KAFKA_COMMIT = "extract.before-kafka-commit";
    /** The extract's Kafka transaction committed; Debezium has not been told, so the slot is not confirmed yet. */
    public static final String AFTER_KAFKA_COMMIT = "extract.after-kafka-commit";
    /** As {@link #AFTER_KAFKA_COMMIT}, passed only by batches of the initial snapshot (not its last row). */
    public static final String MID_SNAPSHOT = "extract.mid-snapshot";
    /** The apply stage wrote a batch (rows, ledger, offsets) and has not committed the warehouse transaction. */
    public static final String BEFORE_WAREHOUSE_COMMIT = "apply.before-warehouse-commit";
    /** The apply stage committed a batch's warehouse transaction. */
    public static final String AFTER_WAREHOUSE_COMMIT = "apply.after-warehouse-commit";

    /** The system property that arms a fail-point. */
    public static final String PROPERTY = "lockstep.failpoint";
    /** The exit status of a process a fail-point ended: 128 + SIGKILL, as a shell reports {@code kill -9}. */
    public static final int EXIT_STATUS = 137;

    private static final Armed ARMED = Armed.parse(System.getProperty(PROPERTY));

    private record Armed(String name, int at, int[] passes) {
        static Armed parse(String value) {
            if (value == null || value.isBlank()) {
                return null;
            }
            int colon = value.lastIndexOf(':');
            return colon < 0 ? new Armed(value.trim(), 1, new int[1])
                    : new Armed(value.substring(0, colon).trim(), Integer.parseInt(value.substring(colon + 1).trim()),
                            new int[1]);
        }
    }

    private FailPoint() {}

    /** Ends the process at once when {@code name} is the armed fail-point and this is the pass it fires at. */
    public static void check(String name) {
        Armed armed = ARMED;
        if (armed == null || !armed.name().equals(name)) {
            return;
        }
        synchronized (armed) {
            if (++armed.passes()[0] != armed.at()) {
                return;
            }
        }
        System.err.println("FAILPOINT " + name + " reached (pass " + armed.at() + "): halting as kill -9 would");
        System.err.flush();
        Runtime.getRuntime().halt(EXIT_STATUS);
    }
}
