package dev.lockstep.benchmarks;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.embedded.EmbeddedKafka;
import dev.lockstep.embedded.EmbeddedPostgres;
import dev.lockstep.shop.ShopDatabase;
import dev.lockstep.shop.ShopDefinition;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The fixed cost of a batch: after the shop's snapshot is applied, N source transactions that each change one row
 * of one table ({@code products}: a price) are applied one per batch, with the apply benchmark's shop definition
 * plus quality rules on every target. Each batch is timed from the applier's call until its commit returned (the
 * records are already fetched, so this is decoding, staging, the warehouse transaction and its fsync'd commit), and
 * pg_stat_statements counts the statements the batches ran: only the changed table's and its targets' should run.
 */
public final class BatchCostBenchmark {

    private static final String PIPELINE = "shop";
    private static final String SCHEMA = "shop_dw";
    private static final Duration TIMEOUT = Duration.ofMinutes(10);
    /** Rules on every target, so that a batch that touches one target must leave the others' rules alone. */
    private static final String QUALITY = """
            quality:
              - { rule: not_null, target: customer, columns: [email] }
              - { rule: unique, target: customer, columns: [email], on_fail: warn }
              - { rule: not_null, target: product, columns: [sku] }
              - { rule: unique, target: product, columns: [sku], on_fail: warn }
              - { rule: range, target: product, columns: [list_price], min: 0, max: 100000 }
              - { rule: range, target: order_line, columns: [quantity], min: 1, max: 1000 }
              - { rule: references, target: order_line, dimension: product, grace: 30m }
              - { rule: expression, name: total_not_negative, target: order, check: total >= 0 }
            """;

    private BatchCostBenchmark() {}

    record Options(int batches) {
        static Options parse(String[] args) {
            return new Options(Figures.intArg(args, "--batches", 1_000));
        }
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Path base = Files.createTempDirectory("lockstep-batch-cost");
        ShopDatabase shop = ShopDatabase.bulk(20_000);
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().baseDirectory(base).databases("shop", "warehouse")
                .serverConfig("shared_preload_libraries", "pg_stat_statements")
                .serverConfig("pg_stat_statements.track_planning", "on").build().start();
                EmbeddedKafka kafka = EmbeddedKafka.builder().baseDirectory(base).build().start()) {
            try (Connection c = pg.connect("shop")) {
                shop.create(c);
            }
            Path file = base.resolve("shop.yaml");
            Files.writeString(file, ShopDefinition.bulk(PIPELINE, pg.port(), pg.user(), "shop", "warehouse",
                    SCHEMA, 1) + QUALITY);
            ShopWarehouse warehouse = ShopWarehouse.of(file);
            warehouse.migrate(pg.jdbcUrl("warehouse"), pg.user(), true);
            System.out.printf("batch-cost benchmark: snapshot of %,d rows applied first, then %,d source transactions "
                    + "of one change each (a product's price), applied one per batch; fsync on%n", shop.snapshotRows(),
                    options.batches());
            ExtractSettings settings = ExtractSettings.of(PIPELINE, "localhost", pg.port(), "shop", pg.user(), "",
                    ShopWarehouse.TABLES, kafka.bootstrapServers());
            List<Long> nanos = new ArrayList<>();
            try (PostgresCdcSource extract = new PostgresCdcSource(settings).start();
                    KafkaSchemaStore store = KafkaSchemaStore.open(kafka.bootstrapServers())) {
                ApplyBenchmark.awaitEvents(extract, shop.snapshotRows());
                long snapshotEnd = ApplyBenchmark.endOffset(kafka.bootstrapServers());
                try (Connection c = pg.connect("warehouse")) {
                    WarehouseApplier applier = WarehouseApplier.open(c, PIPELINE, SCHEMA, warehouse.tables(),
                            ShopWarehouse.VERSION, 5_000, Optional.of(warehouse.star()));
                    try (ChangeStreamReader reader = ChangeStreamReader.open(kafka.bootstrapServers(), PIPELINE,
                            applier.nextOffset(), applier.applied(), store)) {
                        awaitOffset(() -> applier.applyOnce(reader, Duration.ofMillis(100)), applier, snapshotEnd);
                    }
                }
                try (Connection c = pg.connect("shop");
                        PreparedStatement reprice = c.prepareStatement("UPDATE products SET price = price + 0.01 "
                                + "WHERE id = ?")) {
                    for (int i = 0; i < options.batches(); i++) {
                        reprice.setLong(1, 1 + i % shop.products());
                        reprice.executeUpdate(); // autocommit: one source transaction each
                    }
                }
                ApplyBenchmark.awaitEvents(extract, shop.snapshotRows() + options.batches());
                long end = ApplyBenchmark.endOffset(kafka.bootstrapServers());
                Profile.reset(pg, "warehouse");
                try (Connection c = pg.connect("warehouse")) {
                    WarehouseApplier applier = WarehouseApplier.open(c, PIPELINE, SCHEMA, warehouse.tables(),
                            ShopWarehouse.VERSION, 1, Optional.of(warehouse.star()));
                    try (ChangeStreamReader reader = ChangeStreamReader.open(kafka.bootstrapServers(), PIPELINE,
                            applier.nextOffset(), applier.applied(), store)) {
                        while (applier.nextOffset() < end) {
                            long before = applier.nextOffset();
                            long started = System.nanoTime();
                            applier.applyOnce(reader, Duration.ofMillis(100));
                            if (applier.nextOffset() > before) {
                                nanos.add(System.nanoTime() - started);
                            }
                        }
                    }
                }
            }
            Collections.sort(nanos);
            long statements = statementCalls(pg);
            line("batches", String.format("%,d of one change each: median %.2f ms, p90 %.2f ms, p99 %.2f ms (call to "
                    + "commit returned)", nanos.size(), Figures.percentile(nanos, 0.5) / 1e6,
                    Figures.percentile(nanos, 0.9) / 1e6, Figures.percentile(nanos, 0.99) / 1e6));
            line("statements", String.format("%.1f per batch (%,d in all, pg_stat_statements; COMMIT not counted)",
                    (double) statements / nanos.size(), statements));
            Profile.print(pg, "warehouse");
            System.out.println(Figures.heap());
        } finally {
            Files.deleteIfExists(base.resolve("shop.yaml"));
        }
    }

    private static long statementCalls(EmbeddedPostgres pg) throws Exception {
        try (Connection c = pg.connect("warehouse"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE dbid = "
                        + "(SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE "
                        + "'%pg_stat_statements%'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void awaitOffset(Runnable step, WarehouseApplier applier, long end) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (applier.nextOffset() < end) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the snapshot was not applied within " + TIMEOUT);
            }
            step.run();
        }
    }

    private static void line(String label, String figures) {
        System.out.printf("%-28s %s %s%n", label, label.isEmpty() ? " " : ":", figures);
    }
}
