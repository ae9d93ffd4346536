package dev.lockstep.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.embedded.testing.ChildJvm;
import dev.lockstep.embedded.testing.ServicesExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The extract stopped — killed with {@code kill -9} while it writes a large source transaction to Kafka, or
 * while another transaction is still open — then restarted: a read_committed consumer sees every source change,
 * never part of a transaction, and duplicates only as whole re-sent transactions.
 */
class ExtractCrashIT {

    static final int LARGE_TRANSACTION_ROWS = 100_000;

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();
    static final ExtractFixtures fixtures = new ExtractFixtures(services);

    @Test
    void shouldResumeWithWholeTransactionsAfterKillDuringLargeTransaction() throws Exception {
        fixtures.sql("crash", "CREATE TABLE big (id bigint PRIMARY KEY, payload text NOT NULL)");
        ExtractSettings settings = fixtures.settings("crash", "crash", List.of(TableId.parse("public.big")));
        Map<Long, Long> sourceTransactions = new HashMap<>();
        try (ChildJvm child = ChildJvm.of(ExtractMain.class).args(ExtractMain.args(settings)).heap("512m").start()) {
            child.awaitLine(l -> l.equals("STARTED"), Duration.ofMinutes(2));
            fixtures.awaitStreaming("crash", settings);
            for (int i = 0; i < 5; i++) {
                sourceTransactions.put(transaction("INSERT INTO big SELECT g, 'small' FROM generate_series("
                        + (i * 10 + 1) + ", " + (i * 10 + 10) + ") g"), 10L);
            }
            try (KafkaConsumer<byte[], byte[]> uncommitted = consumer("read_uncommitted")) {
                long before = endOffset(uncommitted);
                sourceTransactions.put(transaction("INSERT INTO big SELECT g, repeat(md5(g::text), 4) "
                        + "FROM generate_series(1000, " + (999 + LARGE_TRANSACTION_ROWS) + ") g"),
                        (long) LARGE_TRANSACTION_ROWS);
                // Kill as soon as the large transaction's records start reaching the log, uncommitted.
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(5))
                        .until(() -> endOffset(uncommitted) > before + 1000);
                child.kill();
            }
        }
        try (ChangeTopicReader reader = new ChangeTopicReader(services.bootstrapServers(), "crash")) {
            Blocks atKill = new Blocks();
            reader.drain(atKill::accept);
            assertThat(atKill.open).as("read_committed sees no partial transaction").isNull();
            assertThat(atKill.blocks).as("the large transaction was not committed when the extract died")
                    .doesNotContainValue((long) LARGE_TRANSACTION_ROWS);

            sourceTransactions.put(transaction("INSERT INTO big VALUES (-1, 'written while the extract was down')"), 1L);
            try (PostgresCdcSource restarted = new PostgresCdcSource(settings).start()) {
                Blocks after = new Blocks();
                after.copyFrom(atKill);
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                        .failFast("the extract stopped", () -> restarted.completion().isDone())
                        .until(() -> {
                            reader.drain(after::accept);
                            return after.blocks.keySet().containsAll(sourceTransactions.keySet());
                        });
                assertThat(after.open).isNull();
                sourceTransactions.forEach((tx, count) -> assertThat(after.blocks).containsEntry(tx, count));
                assertThat(after.duplicateRows).as("duplicates only inside whole re-sent transactions")
                        .allSatisfy(tx -> assertThat(after.resent).contains(tx));
                assertThat(after.rows).containsAll(sourceIds("crash", "big"));
            }
        }
    }

    /**
     * A transaction that was already writing when the last transaction on the topic committed, and commits after
     * the extract stopped. On PostgreSQL 17 a commit's end LSN is the start of the next WAL record, which here is a
     * change of that open transaction: Debezium's own search for where to resume took the stored commit LSN for a
     * change it had already sent and skipped every change of the open transaction up to it.
     */
    @Test
    void shouldResendWholeATransactionThatWasOpenWhenTheLastOneCommitted() throws Exception {
        fixtures.sql("spanning", "CREATE TABLE span (id bigint PRIMARY KEY, note text NOT NULL)");
        // No heartbeat: its transactions would move the stored position past the open transaction's changes.
        ExtractSettings settings = fixtures.settings("spanning", "spanning", List.of(TableId.parse("public.span")))
                .withHeartbeatInterval(Duration.ofHours(1));
        try (Connection open = services.connect("spanning"); Statement writer = open.createStatement();
                ChangeTopicReader reader = new ChangeTopicReader(services.bootstrapServers(), "spanning")) {
            open.setAutoCommit(false);
            Blocks blocks = new Blocks();
            long spanning;
            try (PostgresCdcSource extract = new PostgresCdcSource(settings).start()) {
                fixtures.awaitStreaming("spanning", settings);
                writer.execute("INSERT INTO span SELECT g, 'before' FROM generate_series(1, 500) g");
                long committed = transaction("spanning", "INSERT INTO span VALUES (-1, 'committed in between')");
                // The very next WAL record: a change of the open transaction at the commit's end LSN.
                writer.execute("INSERT INTO span SELECT g, 'after' FROM generate_series(501, 1000) g");
                try (ResultSet rs = writer.executeQuery("SELECT txid_current()")) {
                    rs.next();
                    spanning = rs.getLong(1);
                }
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                        .failFast("the extract stopped", () -> extract.completion().isDone())
                        .until(() -> {
                            reader.drain(blocks::accept);
                            return blocks.blocks.containsKey(committed);
                        });
            }
            open.commit();
            try (PostgresCdcSource restarted = new PostgresCdcSource(settings).start()) {
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                        .failFast("the extract stopped", () -> restarted.completion().isDone())
                        .until(() -> {
                            reader.drain(blocks::accept);
                            return blocks.blocks.containsKey(spanning);
                        });
            }
            assertThat(blocks.open).isNull();
            assertThat(blocks.blocks).containsEntry(spanning, 1000L);
            assertThat(blocks.rows).containsAll(sourceIds("spanning", "span"));
        }
    }

    /** Folds the stream into whole BEGIN..END blocks, per source transaction id. */
    static final class Blocks {
        final Map<Long, Long> blocks = new HashMap<>();
        final Set<Long> resent = new HashSet<>();
        final Set<Long> rows = new HashSet<>();
        final List<Long> duplicateRows = new ArrayList<>();
        GenericRecord open;
        long inOpen;

        void accept(GenericRecord r) {
            ChangeSchemas.Kind kind = ChangeSchemas.kindOf(r.getSchema());
            if (kind == ChangeSchemas.Kind.TRANSACTION) {
                if (r.get("status").toString().equals("BEGIN")) {
                    assertThat(open).isNull();
                    open = r;
                    inOpen = 0;
                } else {
                    assertThat(open).isNotNull();
                    assertThat(r.get("event_count")).isEqualTo(inOpen);
                    Long tx = (Long) r.get("tx_id");
                    if (blocks.put(tx, inOpen) != null) {
                        resent.add(tx);
                    }
                    open = null;
                }
            } else if (kind == ChangeSchemas.Kind.CHANGE) {
                inOpen++;
                long id = (Long) ((GenericRecord) r.get("key")).get("id");
                if (!rows.add(id)) {
                    duplicateRows.add((Long) r.get("tx_id"));
                }
            }
        }

        void copyFrom(Blocks other) {
            blocks.putAll(other.blocks);
            rows.addAll(other.rows);
        }
    }

    private static long transaction(String statement) throws SQLException {
        return transaction("crash", statement);
    }

    private static long transaction(String database, String statement) throws SQLException {
        try (Connection c = services.connect(database); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute(statement);
            try (ResultSet rs = s.executeQuery("SELECT txid_current()")) {
                rs.next();
                long tx = rs.getLong(1);
                c.commit();
                return tx;
            }
        }
    }

    private static Set<Long> sourceIds(String database, String table) throws SQLException {
        Set<Long> ids = new HashSet<>();
        try (Connection c = services.connect(database); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT id FROM " + table)) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String isolation) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, services.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
        consumer.assign(List.of(new TopicPartition(TopicNames.changes("crash"), 0)));
        return consumer;
    }

    private static long endOffset(KafkaConsumer<byte[], byte[]> consumer) {
        TopicPartition partition = new TopicPartition(TopicNames.changes("crash"), 0);
        return consumer.endOffsets(List.of(partition)).get(partition);
    }
}
