package dev.lockstep.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.definition.SourcePostgres;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fixture the applier tests write their changes with ({@link ChangeEnvelopes}) writes what the real extract
 * writes: the same rows, snapshotted, inserted, updated, deleted and truncated, give the same records — the same
 * schemas with every property, and the same Avro bytes once the source's own counters (stream positions, transaction
 * ids, the snapshot's reading time) are taken from the extract's record. A change to either encoding fails here.
 */
class ChangeEnvelopesMatchExtractIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final ExtractFixtures fixtures = new ExtractFixtures(services);

    static final String PIPELINE = "golden";
    static final String TABLE = "public.kinds";

    /** Every type ChangeEnvelopes writes; NOT NULL columns have no DEFAULT (a delete's before-image has fallbacks). */
    static final String DDL = "CREATE TABLE kinds (id bigint PRIMARY KEY, i2 smallint, i4 integer NOT NULL, "
            + "name text NOT NULL, code varchar(8), price numeric(10,2) NOT NULL, ratio numeric, active boolean, "
            + "born date, seen_at timestamptz, local_at timestamp)";

    @Test
    void shouldWriteTheSameSchemasAndBytesAsTheExtract() throws Exception {
        List<Map<String, Object>> snapshot = List.of(
                row(1, 1, "Ada", "A-1", "10.50", "1.50", true, "1815-12-10", "2026-01-02T03:04:05.123456Z",
                        "2026-01-02T03:04:05.5"),
                row(2, -7, "Bob\ttab", null, "-0.01", "100", false, null, null, null),
                row(3, 32767, "", "", "0.00", "-0.000123", null, "2000-02-29", "1970-01-01T00:00:00Z",
                        "1999-12-31T23:59:59.999999"));
        Map<String, Object> inserted = row(4, 0, "Dee", "D", "1234567.89", null, true, "2026-03-01",
                "2026-03-01T10:00:00.000001Z", "2026-03-01T10:00:00");
        Map<String, Object> updated = row(1, 2, "Ada L.", "A-2", "11.00", "2", false, "1815-12-10",
                "2026-03-01T09:59:59Z", null);
        fixtures.sql("golden", DDL);
        for (Map<String, Object> r : snapshot) {
            fixtures.sql("golden", insert(r));
        }
        ExtractSettings settings = fixtures.settings(PIPELINE, "golden", List.of(TableId.parse(TABLE)));
        try (PostgresCdcSource extract = new PostgresCdcSource(settings).start();
                ChangeTopicReader reader = new ChangeTopicReader(services.bootstrapServers(), PIPELINE)) {
            // TRUNCATE is not MVCC-safe: committed before the snapshot reads the table, it would empty the snapshot.
            await().atMost(Duration.ofSeconds(60)).until(() -> reader.changes().size() >= snapshot.size());
            fixtures.awaitStreaming("golden", settings);
            fixtures.sql("golden", "BEGIN", insert(inserted), update(updated), "DELETE FROM kinds WHERE id = 2",
                    "COMMIT");
            fixtures.sql("golden", "TRUNCATE kinds");
            await().atMost(Duration.ofSeconds(60)).until(() -> reader.poll().stream().anyMatch(r -> ChangeSchemas
                    .kindOf(r.getSchema()) == ChangeSchemas.Kind.CONTROL));
        }
        List<GenericRecord> extracted;
        try (ChangeTopicReader reader = new ChangeTopicReader(services.bootstrapServers(), PIPELINE)) {
            extracted = List.copyOf(reader.poll()); // everything the stopped extract committed
        }
        assertThat(describeAll(extracted)).as("what the extract wrote").startsWith("CHANGE READ SNAPSHOT\n");
        List<Instant> commits = extracted.stream().filter(r -> "BEGIN".equals(field(r, "status")))
                .map(r -> Instant.EPOCH.plus((Long) r.get("commit_ts"), ChronoUnit.MICROS)).toList();
        assertThat(commits).as("source transactions the extract wrote").hasSize(2);

        StreamPosition last;
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), PIPELINE, describe())) {
            envelopes.snapshot(Map.of(TABLE, snapshot));
            envelopes.begin(commits.get(0)).insert(TABLE, inserted).update(TABLE, updated)
                    .delete(TABLE, Map.of("id", 2L)).commit();
            envelopes.begin(commits.get(1)).truncate(TABLE).commit();
            last = envelopes.lastPosition();
        }
        List<GenericRecord> written;
        try (ChangeTopicReader reader = new ChangeTopicReader(services.bootstrapServers(), PIPELINE)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> reader.poll().stream()
                    .anyMatch(r -> ChangeTopicReader.position(r).equals(last)));
            List<GenericRecord> all = reader.poll();
            written = all.subList(extracted.size(), all.size());
        }

        assertThat(describeAll(written)).as("the records ChangeEnvelopes wrote, in order")
                .isEqualTo(describeAll(extracted));
        try (KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            EnvelopeCodec codec = new EnvelopeCodec(store);
            for (int i = 0; i < extracted.size(); i++) {
                GenericRecord extract = extracted.get(i);
                GenericRecord fixture = withSourceCounters(written.get(i), extract);
                assertThat(fixture.getSchema().toString(true)).as("schema of record %d", i)
                        .isEqualTo(extract.getSchema().toString(true));
                assertThat(fixture.toString()).as("record %d", i).isEqualTo(extract.toString());
                assertThat(codec.encode(fixture)).as("bytes of record %d", i).isEqualTo(codec.encode(extract));
            }
        }
    }

    /** The source table as the applier tests describe it to ChangeEnvelopes: by the source's catalog. */
    private static Map<TableId, SourceTable> describe() {
        SourcePostgres source = new SourcePostgres(Optional.of(services.jdbcUrl("golden")), Optional.empty(), 5432,
                Optional.empty(), services.user(), Optional.empty(), "lockstep_" + PIPELINE, "lockstep_" + PIPELINE);
        try (PostgresSourceCatalog catalog = PostgresSourceCatalog.connect(source)) {
            return catalog.describe(List.of(TableId.parse(TABLE)));
        }
    }

    /** Kind, operation or status, and snapshot phase of each record: where two sequences part, at a glance. */
    private static String describeAll(List<GenericRecord> records) {
        return records.stream().map(r -> ChangeSchemas.kindOf(r.getSchema()) + " " + field(r, "op")
                + field(r, "status") + field(r, "prefix") + " " + field(r, "snapshot"))
                .collect(Collectors.joining("\n"));
    }

    private static String field(GenericRecord record, String name) {
        return record.hasField(name) && record.get(name) != null ? record.get(name).toString() : "";
    }

    /**
     * A copy of {@code fixture} with what only the source decides taken from {@code extract}: the stream position,
     * the transaction id, and a snapshot row's reading time. Whether each is there at all must agree.
     */
    private static GenericRecord withSourceCounters(GenericRecord fixture, GenericRecord extract) {
        GenericData.Record copy = new GenericData.Record((GenericData.Record) fixture, true);
        List<String> counters = new ArrayList<>(List.of("position", "tx_id"));
        if ("READ".equals(field(extract, "op"))) {
            counters.add("commit_ts");
        }
        for (String name : counters) {
            if (copy.hasField(name) && extract.hasField(name)) {
                assertThat(copy.get(name) == null).as("%s of %s is null", name, extract)
                        .isEqualTo(extract.get(name) == null);
                copy.put(name, extract.get(name));
            }
        }
        return copy;
    }

    private static Map<String, Object> row(long id, int i2, String name, String code, String price, String ratio,
            Boolean active, String born, String seenAt, String localAt) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.put("i2", i2);
        row.put("i4", (int) id * 1000);
        row.put("name", name);
        row.put("code", code);
        row.put("price", new BigDecimal(price));
        row.put("ratio", ratio == null ? null : new BigDecimal(ratio));
        row.put("active", active);
        row.put("born", born == null ? null : LocalDate.parse(born));
        row.put("seen_at", seenAt == null ? null : Instant.parse(seenAt));
        row.put("local_at", localAt == null ? null : LocalDateTime.parse(localAt));
        return row;
    }

    private static String insert(Map<String, Object> row) {
        return "INSERT INTO kinds (" + String.join(", ", row.keySet()) + ") VALUES ("
                + row.values().stream().map(ChangeEnvelopesMatchExtractIT::literal).collect(Collectors.joining(", "))
                + ")";
    }

    private static String update(Map<String, Object> row) {
        return "UPDATE kinds SET " + row.entrySet().stream().filter(e -> !e.getKey().equals("id"))
                .map(e -> e.getKey() + " = " + literal(e.getValue())).collect(Collectors.joining(", "))
                + " WHERE id = " + row.get("id");
    }

    /** The SQL literal of a value as ChangeEnvelopes takes it. */
    private static String literal(Object value) {
        if (value == null) {
            return "NULL";
        }
        String text = "'" + value.toString().replace("'", "''") + "'";
        if (value instanceof BigDecimal d) {
            return d.toPlainString();
        } else if (value instanceof Number || value instanceof Boolean) {
            return value.toString();
        } else if (value instanceof LocalDate) {
            return text + "::date";
        } else if (value instanceof Instant) {
            return text + "::timestamptz";
        } else if (value instanceof LocalDateTime) {
            return text + "::timestamp";
        }
        return text;
    }
}
