package dev.lockstep.connectors.internal;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.core.stream.TableId;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;

/** Debezium's configuration for a pipeline's extract; each non-default setting says why it is set. */
public final class DebeziumConfig {

    private DebeziumConfig() {}

    /** Debezium's engine name: the namespace of its offsets. */
    public static String engineName(ExtractSettings settings) {
        return "lockstep-" + settings.pipeline();
    }

    /** Debezium's {@code topic.prefix}; Lockstep does not write Debezium's topics, it only recognises them. */
    public static String topicPrefix(ExtractSettings settings) {
        return "lockstep_" + settings.pipeline().replaceAll("[^A-Za-z0-9_]", "_");
    }

    /** Returns the engine's properties. */
    public static Properties properties(ExtractSettings settings, String heartbeatQuery, String offsetsTopic) {
        Properties p = new Properties();
        p.setProperty("name", engineName(settings));
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("topic.prefix", topicPrefix(settings));

        // Offsets live in Kafka, in the same transaction as the changes they cover (see OffsetsTopic).
        p.setProperty("offset.storage", LockstepOffsetBackingStore.class.getName());
        p.setProperty(LockstepOffsetBackingStore.TOPIC, offsetsTopic);
        p.setProperty(LockstepOffsetBackingStore.BOOTSTRAP, settings.bootstrapServers());
        // Confirm the LSN to the slot after every committed Kafka transaction, not every minute: the slot
        // then holds as little WAL as possible.
        p.setProperty("offset.flush.interval.ms", "0");

        p.setProperty("database.hostname", settings.host());
        p.setProperty("database.port", Integer.toString(settings.port()));
        p.setProperty("database.user", settings.user());
        p.setProperty("database.password", settings.password());
        p.setProperty("database.dbname", settings.database());

        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", settings.slotName());
        p.setProperty("publication.name", settings.publicationName());
        p.setProperty("publication.autocreate.mode", "filtered");
        p.setProperty("table.include.list", includeList(settings, true));
        // The initial snapshot reads the pipeline's tables only. The helper tables are captured (their changes move a
        // quiet slot, signals start backfills) but their rows never reach the topic: snapshotted — after the
        // pipeline's tables, in include-list order — a heartbeat row written before the snapshot (by `reconcile`
        // waiting on the run, an earlier run, another pipeline on this source) was the snapshot's last row, so the
        // topic never said the snapshot was complete and the warehouse kept rows deleted while it was cut short.
        p.setProperty("snapshot.include.collection.list", includeList(settings, false));
        p.setProperty("snapshot.mode", settings.snapshot() == ExtractSettings.SnapshotMode.INITIAL ? "initial" : "no_data");

        // Transaction boundaries (BEGIN/END with counts) are what lets the extract write whole transactions.
        p.setProperty("provide.transaction.metadata", "true");
        p.setProperty("tombstones.on.delete", "false");
        // Debezium skips TRUNCATE by default; the warehouse must hear of it (it travels as a control record).
        p.setProperty("skipped.operations", "none");
        // Exact types: numeric as BigDecimal, timestamps in microseconds, bytea as bytes, interval as micros.
        p.setProperty("decimal.handling.mode", "precise");
        p.setProperty("time.precision.mode", "adaptive_time_microseconds");
        p.setProperty("binary.handling.mode", "bytes");
        p.setProperty("interval.handling.mode", "numeric");
        p.setProperty("hstore.handling.mode", "json");
        p.setProperty("include.unknown.datatypes", "true");
        // The source column type of every column, for the Avro schema and the catalog guard.
        p.setProperty("datatype.propagate.source.type", ".+");
        // Only Lockstep's own logical decoding messages (migration barriers) travel with the data.
        p.setProperty("message.prefix.include.list", "lockstep");

        // Measured here: the default poll.interval.ms=500 adds ~0.4 s of latency to a quiet stream; 5 ms costs
        // almost nothing because the queue wakes the poller as soon as records arrive.
        p.setProperty("poll.interval.ms", "5");
        p.setProperty("max.batch.size", Integer.toString(settings.maxBatchSize()));
        p.setProperty("max.queue.size", Integer.toString(settings.maxBatchSize() * 4));
        // Measured here: Debezium's statistics metrics (latency histograms per event) roughly halve throughput;
        // Lockstep keeps its own, cheaper metrics.
        p.setProperty("statistics.metrics.enabled", "false");
        p.setProperty("advanced.metrics.enable", "false");

        // A heartbeat writes to a published table, so a quiet database does not make the slot hold WAL.
        p.setProperty("heartbeat.interval.ms", Long.toString(settings.heartbeatInterval().toMillis()));
        p.setProperty("heartbeat.action.query", heartbeatQuery);
        // Backfills and re-snapshots arrive as rows of the signal table, in order with the data.
        p.setProperty("signal.enabled.channels", "source");
        p.setProperty("signal.data.collection", SourceDatabase.SIGNAL.toString());

        // A lost source connection (a restart, a failover) is retried by Debezium without a count limit; the run
        // decides how long an outage may last (lockstep run --fault-deadline). Retry after 2 s, not the default 10 s.
        p.setProperty("errors.max.retries", "-1");
        p.setProperty("retriable.restart.connector.wait.ms", "2000");

        // Ordered, single-threaded processing: the stream is the WAL, in commit order.
        p.setProperty("record.processing.order", "ORDERED");
        p.setProperty("record.processing.threads", "1");
        return p;
    }

    /** Returns the pipeline's tables as Debezium patterns, and with {@code helpers} the extract's helper tables. */
    private static String includeList(ExtractSettings settings, boolean helpers) {
        List<String> patterns = new ArrayList<>();
        for (TableId table : settings.tables()) {
            patterns.add(Pattern.quote(table.toString()));
        }
        if (helpers) {
            patterns.add(Pattern.quote(SourceDatabase.HEARTBEAT.toString()));
            patterns.add(Pattern.quote(SourceDatabase.SIGNAL.toString()));
        }
        return String.join(",", patterns);
    }
}
