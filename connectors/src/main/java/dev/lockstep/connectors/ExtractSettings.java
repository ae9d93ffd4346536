package dev.lockstep.connectors;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.stream.TableId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Everything the extract stage needs: the source database, its tables, the Kafka cluster, and how to stream.
 * Built from a validated pipeline definition; {@link #toString()} never shows the password.
 */
public record ExtractSettings(
        String pipeline,
        String host,
        int port,
        String database,
        String user,
        String password,
        List<TableId> tables,
        String slotName,
        String publicationName,
        SnapshotMode snapshot,
        boolean fanout,
        String bootstrapServers,
        Duration changesRetention,
        int maxMessageBytes,
        Duration heartbeatInterval,
        int maxBatchSize) {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    /** Whether the extract first reads the current contents of the tables. */
    public enum SnapshotMode {
        /** Snapshot the tables on the first start, then stream. */
        INITIAL,
        /** Stream changes only, from the moment the slot is created. */
        NEVER
    }

    public ExtractSettings {
        requireNonNull(pipeline, "pipeline");
        requireNonNull(host, "host");
        requireNonNull(database, "database");
        requireNonNull(user, "user");
        password = password == null ? "" : password;
        tables = List.copyOf(requireNonNull(tables, "tables"));
        requireNonNull(slotName, "slotName");
        requireNonNull(publicationName, "publicationName");
        requireNonNull(snapshot, "snapshot");
        requireNonNull(bootstrapServers, "bootstrapServers");
        requireNonNull(changesRetention, "changesRetention");
        requireNonNull(heartbeatInterval, "heartbeatInterval");
        List<String> problems = new ArrayList<>();
        if (tables.isEmpty()) {
            problems.add("no source tables");
        }
        if (!IDENTIFIER.matcher(slotName).matches()) {
            problems.add("slot name '" + slotName + "' must match " + IDENTIFIER);
        }
        if (!IDENTIFIER.matcher(publicationName).matches()) {
            problems.add("publication name '" + publicationName + "' must match " + IDENTIFIER);
        }
        if (port <= 0 || port > 65535) {
            problems.add("port " + port + " is not a TCP port");
        }
        if (maxBatchSize < 1) {
            problems.add("maxBatchSize must be positive");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid extract settings: " + String.join("; ", problems));
        }
    }

    /** Returns settings with the defaults: slot and publication {@code lockstep_<pipeline>}, 7 days retention. */
    public static ExtractSettings of(String pipeline, String host, int port, String database, String user,
            String password, List<TableId> tables, String bootstrapServers) {
        String name = "lockstep_" + pipeline.toLowerCase().replaceAll("[^a-z0-9_]", "_");
        return new ExtractSettings(pipeline, host, port, database, user, password, tables, name, name,
                SnapshotMode.INITIAL, false, bootstrapServers, Duration.ofDays(7), 16 * 1024 * 1024,
                Duration.ofSeconds(10), 8192);
    }

    /** Returns a copy that captures {@code tables} (a deployment added or dropped source tables). */
    public ExtractSettings withTables(List<TableId> tables) {
        return new ExtractSettings(pipeline, host, port, database, user, password, tables, slotName,
                publicationName, snapshot, fanout, bootstrapServers, changesRetention, maxMessageBytes,
                heartbeatInterval, maxBatchSize);
    }

    /** Returns a copy with another snapshot mode. */
    public ExtractSettings withSnapshot(SnapshotMode mode) {
        return new ExtractSettings(pipeline, host, port, database, user, password, tables, slotName,
                publicationName, mode, fanout, bootstrapServers, changesRetention, maxMessageBytes,
                heartbeatInterval, maxBatchSize);
    }

    /** Returns a copy that also writes the per-table fan-out topics. */
    public ExtractSettings withFanout(boolean enabled) {
        return new ExtractSettings(pipeline, host, port, database, user, password, tables, slotName,
                publicationName, snapshot, enabled, bootstrapServers, changesRetention, maxMessageBytes,
                heartbeatInterval, maxBatchSize);
    }

    /** Returns a copy whose changes topic takes records of at most {@code bytes}. */
    public ExtractSettings withMaxMessageBytes(int bytes) {
        return new ExtractSettings(pipeline, host, port, database, user, password, tables, slotName,
                publicationName, snapshot, fanout, bootstrapServers, changesRetention, bytes,
                heartbeatInterval, maxBatchSize);
    }

    /** Returns a copy with another heartbeat interval. */
    public ExtractSettings withHeartbeatInterval(Duration interval) {
        return new ExtractSettings(pipeline, host, port, database, user, password, tables, slotName,
                publicationName, snapshot, fanout, bootstrapServers, changesRetention, maxMessageBytes,
                interval, maxBatchSize);
    }

    /** Returns the JDBC URL of the source database (no credentials). */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return "ExtractSettings[pipeline=" + pipeline + ", source=" + user + "@" + host + ":" + port + "/" + database
                + ", password=***, tables=" + tables + ", slot=" + slotName + ", publication=" + publicationName
                + ", snapshot=" + snapshot + ", fanout=" + fanout + ", kafka=" + bootstrapServers + "]";
    }
}
