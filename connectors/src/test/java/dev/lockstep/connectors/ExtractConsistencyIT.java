package dev.lockstep.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import dev.lockstep.embedded.testing.ServicesExtension;

/**
 * The acceptance test of the extract: 100k rows snapshotted and 100k changes streamed by concurrent writers with
 * interleaving transactions over a table of every supported type; the topic, decoded, reproduces the source
 * state column by column, positions never decrease, and each source transaction is contiguous with the right
 * boundaries and counts.
 */
class ExtractConsistencyIT {

    static final int SNAPSHOT_ROWS = 100_000;
    static final int STREAMED_CHANGES = 100_000;
    static final int WRITERS = 4;
    static final String DB = "consistency";

    static final String COLUMNS = "id, i2, i4, i8, num, num_free, r, d, t, vc, b, dt, tm, ts, tstz, u, j, jb, by, arr, "
            + "tags, m";

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();
    static final ExtractFixtures fixtures = new ExtractFixtures(services);

    @Test
    void shouldReproduceSourceStateWithWholeTransactionsInCommitOrder() throws Exception {
        fixtures.sql(DB,
                "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
                "CREATE TABLE kinds (id bigint PRIMARY KEY, i2 smallint, i4 int, i8 bigint, num numeric(12,3), "
                        + "num_free numeric, r real, d double precision, t text, vc varchar(40), b boolean, dt date, "
                        + "tm time, ts timestamp, tstz timestamptz, u uuid, j json, jb jsonb, by bytea, arr int[], "
                        + "tags text[], m mood)",
                "INSERT INTO kinds SELECT " + generated("g") + " FROM generate_series(1, " + SNAPSHOT_ROWS + ") g");
        ExtractSettings settings = fixtures.settings("consistency", DB,
                List.of(TableId.parse("public.kinds")));
        Map<Long, Long> expectedCounts = new ConcurrentHashMap<>();
        try (PostgresCdcSource extract = new PostgresCdcSource(settings).start();
                ChangeTopicReader reader = new ChangeTopicReader(services.bootstrapServers(), "consistency")) {
            fixtures.awaitStreaming(DB, settings);
            long streamed = runWriters(expectedCounts);
            StreamCheck check = new StreamCheck();
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
                    .failFast("the extract stopped", () -> extract.completion().isDone())
                    .until(() -> {
                        reader.drain(check::accept);
                        return check.changes >= SNAPSHOT_ROWS + streamed;
                    });

            assertThat(check.changes).isEqualTo(SNAPSHOT_ROWS + streamed);
            assertThat(check.open).as("a transaction left open").isNull();
            assertThat(check.transactions).containsAllEntriesOf(expectedCounts).hasSameSizeAs(expectedCounts);
            assertSameState(check.state, sourceState());
            assertThat(extract.metrics().eventsByTable()).containsEntry(TableId.parse("public.kinds"),
                    SNAPSHOT_ROWS + streamed);
        }
    }

    /** A row of every type, derived from an integer expression {@code n}. */
    static String generated(String n) {
        return n + ", (" + n + " % 30000)::smallint, " + n + " * 7, " + n + "::bigint * 1000003, "
                + "(" + n + " * 1.001)::numeric(12,3), (" + n + "::numeric / 7), (" + n + " / 3.0)::real, "
                + n + " / 7.0, 'text ' || " + n + ", 'vc' || " + n + ", " + n + " % 2 = 0, "
                + "date '2020-01-01' + ((" + n + ") % 3000)::int, time '00:00:00' + " + n + " * interval '0.000123 second', "
                + "timestamp '2020-01-01' + " + n + " * interval '1.234567 second', "
                + "timestamptz '2020-01-01 00:00:00+00' + " + n + " * interval '2.345678 second', "
                + "md5(" + n + "::text)::uuid, json_build_object('n', " + n + "), jsonb_build_object('k', " + n
                + ", 'a', jsonb_build_array(1, 2)), decode(md5(" + n + "::text), 'hex'), ARRAY[" + n + ", " + n
                + " + 1], ARRAY['a' || " + n + ", NULL, 'c'], (ARRAY['sad','ok','happy'])[1 + " + n + " % 3]::mood";
    }

    private long runWriters(Map<Long, Long> expectedCounts) throws Exception {
        AtomicLong changes = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            futures.add(pool.submit(() -> {
                write(writer, changes, expectedCounts);
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        pool.shutdown();
        return changes.get();
    }

    private void write(int writer, AtomicLong changes, Map<Long, Long> expectedCounts) throws SQLException {
        Random random = new Random(writer);
        long nextId = 10_000_000L * (writer + 1);
        try (Connection c = services.connect(DB)) {
            c.setAutoCommit(false);
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO kinds SELECT " + generated("?::bigint"));
                    PreparedStatement update = c.prepareStatement("UPDATE kinds SET i4 = i4 + 1, t = t || '+', "
                            + "num = num + 0.5, tstz = tstz + interval '1 microsecond', tags = tags || 'x'::text, "
                            + "m = 'happy' WHERE id = ?");
                    PreparedStatement delete = c.prepareStatement("DELETE FROM kinds WHERE id = ?");
                    Statement txid = c.createStatement()) {
                while (changes.get() < STREAMED_CHANGES) {
                    long inTransaction = 0;
                    for (int op = 0; op < 5; op++) {
                        int kind = random.nextInt(10);
                        if (kind < 4) {
                            long id = nextId++;
                            setAll(insert, id);
                            inTransaction += insert.executeUpdate();
                        } else {
                            long id = 1 + (long) random.nextInt(SNAPSHOT_ROWS / WRITERS) * WRITERS + writer;
                            PreparedStatement ps = kind < 8 ? update : delete;
                            ps.setLong(1, id);
                            inTransaction += ps.executeUpdate();
                        }
                    }
                    long id;
                    try (ResultSet rs = txid.executeQuery("SELECT txid_current()")) {
                        rs.next();
                        id = rs.getLong(1);
                    }
                    c.commit();
                    if (inTransaction > 0) {
                        expectedCounts.put(id, inTransaction);
                    }
                    changes.addAndGet(inTransaction);
                }
            }
        }
    }

    private static void setAll(PreparedStatement insert, long id) throws SQLException {
        int parameters = insert.getParameterMetaData().getParameterCount();
        for (int i = 1; i <= parameters; i++) {
            insert.setLong(i, id);
        }
    }

    /** Folds the stream record by record: positions, transaction structure, replayed state. */
    static final class StreamCheck {
        final Map<Long, String> state = new HashMap<>();
        final Map<Long, Long> transactions = new HashMap<>();
        long changes;
        GenericRecord open;
        long inOpen;
        StreamPosition previous = StreamPosition.ZERO;

        void accept(GenericRecord r) {
            StreamPosition p = ChangeTopicReader.position(r);
            assertThat(p).as("position after %s", previous).isGreaterThanOrEqualTo(previous);
            previous = p;
            ChangeSchemas.Kind kind = ChangeSchemas.kindOf(r.getSchema());
            if (kind == ChangeSchemas.Kind.TRANSACTION) {
                boundary(r);
                return;
            }
            changes++;
            if (open != null) {
                inOpen++;
                assertThat(r.get("tx_id")).isEqualTo(open.get("tx_id"));
                assertThat(p).isEqualTo(StreamPosition.of(ChangeTopicReader.position(open).commitLsn(), inOpen));
            } else {
                assertThat(r.get("snapshot").toString()).as("a streamed change outside BEGIN/END")
                        .isNotEqualTo("STREAMING");
            }
            long id = (Long) ((GenericRecord) r.get("key")).get("id");
            if (r.get("op").toString().equals("DELETE")) {
                state.remove(id);
            } else {
                state.put(id, canonical((GenericRecord) r.get("after")));
            }
        }

        private void boundary(GenericRecord r) {
            if (r.get("status").toString().equals("BEGIN")) {
                assertThat(open).as("BEGIN inside an open transaction").isNull();
                open = r;
                inOpen = 0;
                return;
            }
            assertThat(open).as("END without BEGIN").isNotNull();
            assertThat(r.get("tx_id")).isEqualTo(open.get("tx_id"));
            assertThat(r.get("event_count")).isEqualTo(inOpen).isEqualTo(open.get("event_count"));
            assertThat(ChangeTopicReader.position(r).sequence()).isEqualTo(inOpen + 1);
            transactions.put((Long) r.get("tx_id"), inOpen);
            open = null;
        }
    }

    private static String canonical(GenericRecord row) {
        StringBuilder out = new StringBuilder();
        for (String column : COLUMNS.split(", ")) {
            Object v = row.get(column);
            out.append(column).append('=').append(v == null ? null : canonicalAvro(column, v)).append('|');
        }
        return out.toString();
    }

    private static String canonicalAvro(String column, Object v) {
        return switch (column) {
            case "num" -> new BigDecimal(new BigInteger(bytes((ByteBuffer) v)), 3).stripTrailingZeros().toPlainString();
            case "num_free" -> new BigDecimal(v.toString()).stripTrailingZeros().toPlainString();
            case "dt" -> LocalDate.ofEpochDay((Integer) v).toString();
            case "tm" -> LocalTime.ofNanoOfDay((Long) v * 1000).toString();
            case "ts" -> LocalDateTime.ofEpochSecond(Math.floorDiv((Long) v, 1_000_000L),
                    (int) Math.floorMod((Long) v, 1_000_000L) * 1000, ZoneOffset.UTC).toString();
            case "tstz" -> Instant.ofEpochSecond(Math.floorDiv((Long) v, 1_000_000L),
                    Math.floorMod((Long) v, 1_000_000L) * 1000).toString();
            case "by" -> Arrays.toString(bytes((ByteBuffer) v));
            case "arr", "tags" -> ((List<?>) v).stream().map(e -> Objects.toString(e, null)).toList().toString();
            default -> v.toString();
        };
    }

    private Map<Long, String> sourceState() throws SQLException {
        Map<Long, String> state = new HashMap<>();
        try (Connection c = services.connect(DB); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT " + COLUMNS + " FROM kinds")) {
            ResultSetMetaData meta = rs.getMetaData();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    String column = meta.getColumnName(i);
                    row.append(column).append('=').append(canonicalJdbc(column, rs, i)).append('|');
                }
                state.put(rs.getLong(1), row.toString());
            }
        }
        return state;
    }

    private static String canonicalJdbc(String column, ResultSet rs, int i) throws SQLException {
        if (rs.getObject(i) == null) {
            return null;
        }
        return switch (column) {
            case "num", "num_free" -> rs.getBigDecimal(i).stripTrailingZeros().toPlainString();
            case "r" -> Float.toString(rs.getFloat(i));
            case "d" -> Double.toString(rs.getDouble(i));
            case "dt" -> rs.getObject(i, LocalDate.class).toString();
            case "tm" -> rs.getObject(i, LocalTime.class).toString();
            case "ts" -> rs.getObject(i, LocalDateTime.class).toString();
            case "tstz" -> rs.getObject(i, OffsetDateTime.class).toInstant().toString();
            case "by" -> Arrays.toString(rs.getBytes(i));
            case "arr", "tags" -> {
                Array array = rs.getArray(i);
                yield Arrays.stream((Object[]) array.getArray()).map(e -> Objects.toString(e, null)).toList()
                        .toString();
            }
            case "i2", "i4", "i8", "id" -> Long.toString(rs.getLong(i));
            case "b" -> Boolean.toString(rs.getBoolean(i));
            default -> rs.getString(i);
        };
    }

    private static void assertSameState(Map<Long, String> topic, Map<Long, String> source) {
        assertThat(topic.keySet()).isEqualTo(source.keySet());
        List<String> differences = new ArrayList<>();
        source.forEach((id, row) -> {
            if (!row.equals(topic.get(id)) && differences.size() < 10) {
                differences.add("id " + id + "\n  source " + row + "\n  topic  " + topic.get(id));
            }
        });
        assertThat(differences).isEmpty();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}
