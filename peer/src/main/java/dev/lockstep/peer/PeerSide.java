package dev.lockstep.peer;

import dev.lockstep.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The peer: Kafka Connect (standalone, a JVM of its own) with the Debezium PostgreSQL source and the Debezium JDBC
 * sink, replicating the five shop tables into the {@code replica} database (tables created by the sink). A marker or
 * a probe is visible once its rows are in the replica's tables.
 */
final class PeerSide implements Side {

    static final String SLOT = "peer";
    static final List<String> TABLES = List.of("customers", "categories", "products", "orders", "order_items");

    private final ConnectWorker worker;
    private final Connection replica;
    private PreparedStatement marker;
    private PreparedStatement probe;

    /**
     * A peer reading {@code source} through {@code kafka}, writing {@code target} of {@code pg}; sink batches and
     * consumer polls of {@code batchSize} records.
     */
    PeerSide(EmbeddedPostgres pg, String source, String target, String kafka, Path directory, Path classpath,
            String heap, int batchSize, Connection replica) throws IOException {
        this.replica = replica;
        Map<String, Map<String, String>> connectors = new LinkedHashMap<>();
        connectors.put("peer-source", source(pg, source));
        connectors.put("peer-sink", sink(pg, target, batchSize));
        this.worker = new ConnectWorker(directory, classpath, heap, worker(kafka), connectors);
    }

    private static Map<String, String> worker(String kafka) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("bootstrap.servers", kafka);
        c.put("key.converter", "org.apache.kafka.connect.json.JsonConverter");
        c.put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
        c.put("key.converter.schemas.enable", "true"); // the JDBC sink needs the schemas; no registry here
        c.put("value.converter.schemas.enable", "true");
        c.put("offset.flush.interval.ms", "1000");
        c.put("connector.client.config.override.policy", "All");
        c.put("plugin.discovery", "service_load"); // every plugin on the classpath has its manifest
        return c;
    }

    /** Debezium's PostgreSQL connector with the batch and queue sizes and poll interval of Lockstep's extract. */
    private static Map<String, String> source(EmbeddedPostgres pg, String database) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("name", "peer-source");
        c.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        c.put("tasks.max", "1");
        c.put("database.hostname", "localhost");
        c.put("database.port", Integer.toString(pg.port()));
        c.put("database.user", pg.user());
        c.put("database.password", "");
        c.put("database.dbname", database);
        c.put("topic.prefix", "peer");
        c.put("plugin.name", "pgoutput");
        c.put("slot.name", SLOT);
        c.put("publication.name", SLOT);
        c.put("publication.autocreate.mode", "filtered");
        c.put("table.include.list", String.join(",", TABLES.stream().map(t -> "public\\." + t).toList()));
        c.put("snapshot.mode", "initial");
        c.put("decimal.handling.mode", "precise");
        c.put("time.precision.mode", "adaptive_time_microseconds");
        c.put("poll.interval.ms", "5");
        c.put("max.batch.size", "8192");
        c.put("max.queue.size", "32768");
        c.put("topic.creation.default.replication.factor", "1");
        c.put("topic.creation.default.partitions", "1");
        return c;
    }

    /** Debezium's JDBC sink: upserts by the record key, deletes applied, tables created and evolved by the sink. */
    private static Map<String, String> sink(EmbeddedPostgres pg, String database, int batchSize) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("name", "peer-sink");
        c.put("connector.class", "io.debezium.connector.jdbc.JdbcSinkConnector");
        c.put("tasks.max", "1");
        c.put("topics.regex", "peer\\.public\\..*");
        c.put("connection.url", pg.jdbcUrl(database));
        c.put("connection.username", pg.user());
        c.put("connection.password", "");
        c.put("insert.mode", "upsert");
        c.put("delete.enabled", "true");
        c.put("primary.key.mode", "record_key");
        c.put("schema.evolution", "basic");
        c.put("batch.size", Integer.toString(batchSize));
        c.put("consumer.override.max.poll.records", Integer.toString(batchSize));
        c.put("transforms", "table");
        c.put("transforms.table.type", "org.apache.kafka.connect.transforms.RegexRouter");
        c.put("transforms.table.regex", "peer\\.public\\.(.*)");
        c.put("transforms.table.replacement", "$1");
        return c;
    }

    /** Returns the worker's and connectors' full configuration. */
    String describe() {
        return worker.describe();
    }

    @Override
    public String name() {
        return "peer";
    }

    @Override
    public void start() throws Exception {
        worker.start();
    }

    @Override
    public boolean reflects(SourceRows.Marker m) throws SQLException {
        if (marker == null) {
            if (!tablesExist()) {
                return false;
            }
            marker = replica.prepareStatement("SELECT " + String.join(" AND ", TABLES.stream().map(t ->
                    "EXISTS (SELECT 1 FROM " + t + " WHERE id = ?)").toList()));
        }
        long[] ids = {m.id(), SourceRows.CATEGORY_BASE + (m.id() - SourceRows.MARKER_BASE), m.id(), m.id(), m.id()};
        for (int i = 0; i < ids.length; i++) {
            marker.setLong(i + 1, ids[i]);
        }
        try (ResultSet rs = marker.executeQuery()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    @Override
    public long lastProbe() throws SQLException {
        if (probe == null) {
            probe = replica.prepareStatement("SELECT coalesce(max(id), 0) FROM customers WHERE id >= ?");
            probe.setLong(1, SourceRows.PROBE_BASE);
        }
        try (ResultSet rs = probe.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void checkAlive() {
        try {
            worker.checkAlive();
        } catch (IOException e) {
            throw new IllegalStateException("the Connect worker's REST API did not answer: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() throws InterruptedException {
        worker.stop();
    }

    /** Returns the end of the Connect worker's log. */
    String logTail() {
        return worker.logTail(60);
    }

    /** Deletes the Connect worker's files. */
    void deleteFiles() throws IOException {
        worker.deleteFiles();
    }

    /** Drops the peer's slot and publication on {@code source} if they exist; retries while a walsender holds it. */
    static void dropSlot(Connection source) throws SQLException, InterruptedException {
        try (Statement s = source.createStatement()) {
            for (int attempt = 0; ; attempt++) {
                try {
                    s.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '"
                            + SLOT + "'");
                    break;
                } catch (SQLException e) {
                    if (attempt == 100) {
                        throw e;
                    }
                    TimeUnit.MILLISECONDS.sleep(100);
                }
            }
            s.execute("DROP PUBLICATION IF EXISTS " + SLOT);
        }
    }

    private boolean tablesExist() throws SQLException {
        try (PreparedStatement count = replica.prepareStatement("SELECT count(*) FROM pg_tables WHERE schemaname = "
                + "'public' AND tablename = ANY (?)")) {
            count.setArray(1, replica.createArrayOf("text", TABLES.toArray()));
            try (ResultSet rs = count.executeQuery()) {
                rs.next();
                return rs.getInt(1) == TABLES.size();
            }
        }
    }
}
