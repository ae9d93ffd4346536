package dev.lockstep.core.stream;

import static java.util.Objects.requireNonNull;

/** Names of the Kafka topics Lockstep writes and reads. */
public final class TopicNames {

    /** Every Avro schema Lockstep ever wrote, keyed by fingerprint; compacted, shared by all pipelines. */
    public static final String SCHEMAS = "lockstep._schemas";
    /** Alerts of every pipeline, as CloudEvents. */
    public static final String ALERTS = "lockstep.alerts";

    private TopicNames() {}

    /** The ordered change stream of a pipeline: every source table, one partition, commit order. */
    public static String changes(String pipeline) {
        return "lockstep." + requireNonNull(pipeline, "pipeline") + ".changes";
    }

    /** The extract's source offsets, written in the same Kafka transactions as the changes they cover. */
    public static String extractOffsets(String pipeline) {
        return "lockstep." + requireNonNull(pipeline, "pipeline") + ".extract-offsets";
    }

    /** Optional per-table fan-out of the change stream, keyed by primary key. */
    public static String raw(String pipeline, TableId table) {
        return "lockstep." + requireNonNull(pipeline, "pipeline") + ".raw." + table.schema() + "." + table.table();
    }

    /** Rows diverted by quality rules, relayed from the quarantine ledger. */
    public static String quarantine(String pipeline) {
        return "lockstep." + requireNonNull(pipeline, "pipeline") + ".quarantine";
    }
}
