package dev.lockstep.warehouse.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.definition.live.ReplicaIdentity;
import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.warehouse.raw.RawLayerDdl;
import dev.lockstep.warehouse.testing.TestWarehouse;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Change envelopes written by {@link ChangeEnvelopes} (which writes what the extract writes: connectors'
 * {@code ChangeEnvelopesMatchExtractIT}) are read and applied to the raw layer unchanged, every type it writes.
 */
class ChangeEnvelopesIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "envit";
    /**
     * {@code public.customers (id bigint PRIMARY KEY, name text NOT NULL, balance numeric(12,2), seen_at timestamptz,
     * born date, active boolean)}, as the source's catalog describes it.
     */
    static final SourceTable CUSTOMERS = new SourceTable(TableId.parse("public.customers"), true, "table", List.of(
            new SourceColumn("id", "bigint", SourceColumn.Kind.BASE, "bigint", true),
            new SourceColumn("name", "text", SourceColumn.Kind.BASE, "text", true),
            new SourceColumn("balance", "numeric(12,2)", SourceColumn.Kind.BASE, "numeric(12,2)", false),
            new SourceColumn("seen_at", "timestamp with time zone", SourceColumn.Kind.BASE,
                    "timestamp with time zone", false),
            new SourceColumn("born", "date", SourceColumn.Kind.BASE, "date", false),
            new SourceColumn("active", "boolean", SourceColumn.Kind.BASE, "boolean", false)),
            List.of("id"), new ReplicaIdentity(ReplicaIdentity.Mode.DEFAULT, List.of("id")));
    static final String COLUMNS = "id, name, balance, seen_at AT TIME ZONE 'UTC', born, active, _deleted, "
            + "_position_lsn, _position_seq";

    @Test
    void shouldApplyWrittenSnapshotAndTransactionsToRawLayer() throws Exception {
        Map<TableId, SourceTable> tables = Map.of(CUSTOMERS.id(), CUSTOMERS);
        buildWarehouse("envdw", tables);
        StreamPosition snapshot;
        StreamPosition first;
        StreamPosition second;
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), PIPELINE, tables)) {
            envelopes.snapshot(Map.of("public.customers", List.of(
                    customer(1, "Ada", "10.50", "2026-01-02T03:04:05.123456Z", LocalDate.of(1815, 12, 10), true),
                    customer(2, "Bob\tTab", "-0.01", null, null, false),
                    customer(3, "Cy", null, "2026-01-01T00:00:00+02:00", LocalDate.of(2000, 2, 29), null))));
            snapshot = envelopes.lastPosition();
            envelopes.begin(Instant.parse("2026-03-01T10:00:00Z"))
                    .insert("public.customers", customer(4, "Dee", "1234567890.12", "2026-03-01T10:00:00.000001Z",
                            LocalDate.of(1999, 12, 31), true))
                    .update("public.customers", customer(1, "Ada L.", "11", "2026-03-01T09:59:59Z",
                            LocalDate.of(1815, 12, 10), false))
                    .delete("public.customers", Map.of("id", 2L))
                    .commit();
            first = envelopes.lastPosition();
            envelopes.begin(Instant.parse("2026-03-01T10:00:05.5Z"))
                    .insert("public.customers", customer(5, "Eve", "0", null, null, null))
                    .update("public.customers", customer(1, "Ada Lovelace", "11.5", "2026-03-01T12:00:05.5+02:00",
                            LocalDate.of(1815, 12, 10), true))
                    .delete("public.customers", Map.of("id", 4L))
                    .commit();
            second = envelopes.lastPosition();
        }
        long snapshotLsn = snapshot.commitLsn();
        long firstLsn = first.commitLsn();
        long secondLsn = second.commitLsn();
        assertThat(snapshot.sequence()).isEqualTo(3);
        assertThat(List.of(first.sequence(), second.sequence())).containsExactly(4L, 4L);
        assertThat(firstLsn).isGreaterThan(snapshotLsn);
        assertThat(secondLsn).isGreaterThan(firstLsn);

        try (KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            applyUntilCaughtUp("envdw", tables, store);
        }

        assertThat(services.query("envdw", "SELECT ROW(" + COLUMNS + ")::text FROM dw_raw.customers ORDER BY id"))
                .containsExactly(
                        "(1,\"Ada Lovelace\",11.50,\"2026-03-01 10:00:05.5\",1815-12-10,t,f," + secondLsn + ",2)",
                        "(2,\"Bob\tTab\",-0.01,,,f,t," + firstLsn + ",3)",
                        "(3,Cy,,\"2025-12-31 22:00:00\",2000-02-29,,f," + snapshotLsn + ",3)",
                        "(4,Dee,1234567890.12,\"2026-03-01 10:00:00.000001\",1999-12-31,t,t," + secondLsn + ",3)",
                        "(5,Eve,0.00,,,,f," + secondLsn + ",1)");
        assertThat(services.query("envdw", "SELECT commit_lsn || '/' || sequence || ' ' || "
                + "(source_commit_ts AT TIME ZONE 'UTC') FROM lockstep.offsets WHERE pipeline = '" + PIPELINE + "'"))
                .containsExactly(secondLsn + "/4 2026-03-01 10:00:05.5");
    }

    private static Map<String, Object> customer(long id, String name, String balance, String seenAt, LocalDate born,
            Boolean active) {
        Map<String, Object> row = new HashMap<>();
        row.put("id", id);
        row.put("name", name);
        row.put("balance", balance == null ? null : new BigDecimal(balance));
        row.put("seen_at", seenAt == null ? null : OffsetDateTime.parse(seenAt));
        row.put("born", born);
        row.put("active", active);
        return row;
    }

    /** The warehouse as a deployment builds it: the control schema, then the generated raw layer. */
    private static void buildWarehouse(String database, Map<TableId, SourceTable> tables) throws SQLException {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(services.jdbcUrl(database));
        dataSource.setUser(services.user());
        dataSource.setPassword(services.password());
        TestWarehouse.migrate(dataSource, PIPELINE, "dw", "pipeline: " + PIPELINE,
                List.of(RawLayerDdl.create("dw", tables.values(), 1)));
    }

    private static void applyUntilCaughtUp(String database, Map<TableId, SourceTable> tables, KafkaSchemaStore store)
            throws SQLException {
        long end = ChangeEnvelopes.endOffset(services.bootstrapServers(), PIPELINE);
        try (Connection c = DriverManager.getConnection(services.jdbcUrl(database), services.user(),
                services.password())) {
            WarehouseApplier applier = WarehouseApplier.open(c, PIPELINE, "dw", tables, 1, 5000);
            try (ChangeStreamReader reader = ChangeStreamReader.open(services.bootstrapServers(), PIPELINE,
                    applier.nextOffset(), applier.applied(), store)) {
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(10)).until(() -> {
                    applier.applyOnce(reader, Duration.ofMillis(100));
                    return applier.nextOffset() >= end;
                });
            }
        }
    }
}
