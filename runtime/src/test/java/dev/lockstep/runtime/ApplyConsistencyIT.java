package dev.lockstep.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import dev.lockstep.warehouse.testing.TestStar;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactional consistency, end to end from the real extract: the source keeps {@code orders.total} equal to the
 * sum of its lines in the same transactions, written by concurrent writers; the definition carries both into the
 * warehouse ({@code fact_order}, {@code fact_order_line}); while the stream is applied, a concurrent reader
 * compares them per order and never sees them disagree — the warehouse never shows half a source transaction.
 */
class ApplyConsistencyIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "consistit";
    static final int WRITERS = 3;
    static final int TRANSACTIONS_PER_WRITER = 150;

    @TempDir
    static Path dir;

    /** Compares, per live order, its total with the sum of its live lines; returns the orders that disagree. */
    static final String DISAGREEING = "SELECT o.id || ': total ' || o.total || ', lines ' || coalesce(sum(l.amount) "
            + "FILTER (WHERE NOT l.is_deleted), 0) FROM star_dw.fact_order o LEFT JOIN star_dw.fact_order_line l "
            + "ON l.order_id = o.id WHERE NOT o.is_deleted GROUP BY o.id, o.total "
            + "HAVING o.total <> coalesce(sum(l.amount) FILTER (WHERE NOT l.is_deleted), 0)";

    @Test
    void shouldNeverShowHalfASourceTransactionToAConcurrentReader() throws Exception {
        TestStar.createSourceTables(services, "csrc");
        services.execute("csrc",
                // The writers add items without choosing their ids.
                "CREATE SEQUENCE order_item_ids OWNED BY order_items.id",
                "ALTER TABLE order_items ALTER COLUMN id SET DEFAULT nextval('order_item_ids')",
                "INSERT INTO customers SELECT g, 'c' || g, 'c' || g || '@x.org', 'city ' || (g % 7) "
                        + "FROM generate_series(1, 50) g",
                "INSERT INTO categories VALUES (1, 'Books')",
                "INSERT INTO products SELECT g, 'p' || g, 1, g FROM generate_series(1, 20) g",
                "INSERT INTO orders SELECT g, 1 + g % 50, timestamptz '2026-01-01' + g * interval '1 hour', 0 "
                        + "FROM generate_series(1, 100) g",
                "INSERT INTO order_items (order_id, product_id, quantity, unit_price, pack_size) "
                        + "SELECT 1 + g % 100, 1 + g % 20, 1 + g % 5, 1 + g % 20, 1 FROM generate_series(1, 400) g",
                "UPDATE orders o SET total = (SELECT coalesce(sum(quantity * unit_price), 0) FROM order_items i "
                        + "WHERE i.order_id = o.id)");
        services.database("cdw");
        WarehouseDeployment deployment = WarehouseDeployment.deploy(TestStar.definition(dir, services,
                PIPELINE, "csrc", "cdw", "star_dw"));
        assertThat(deployment.tables()).as("the source's catalog describes the tables as TestStar does")
                .isEqualTo(TestStar.TABLES);
        String url = services.jdbcUrl("csrc");
        String port = url.substring(url.lastIndexOf(':') + 1, url.lastIndexOf('/'));
        PostgresCdcSource extract = new PostgresCdcSource(ExtractSettings.of(PIPELINE, "localhost",
                Integer.parseInt(port), services.database("csrc"), services.user(), services.password(),
                List.copyOf(deployment.tables().keySet()), services.bootstrapServers())).start();
        ExecutorService threads = Executors.newFixedThreadPool(WRITERS + 2);
        AtomicBoolean applying = new AtomicBoolean(true);
        AtomicBoolean reading = new AtomicBoolean(true);
        try (KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            AtomicLong appliedBatches = new AtomicLong();
            Future<?> applier = threads.submit(() -> apply(deployment, store, applying, appliedBatches));
            await().atMost(Duration.ofMinutes(2)).until(() -> services.query("cdw",
                    "SELECT count(*) FROM star_dw.fact_order_line").equals(List.of("400")));

            AtomicInteger checks = new AtomicInteger();
            List<String> violations = new java.util.concurrent.CopyOnWriteArrayList<>();
            Future<?> reader = threads.submit(() -> read(reading, checks, violations));
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(threads.submit(() -> write(writer)));
            }
            for (Future<?> writer : writers) {
                writer.get(3, TimeUnit.MINUTES);
            }
            await().atMost(Duration.ofMinutes(2)).failFast("the applier stopped", applier::isDone)
                    .until(() -> sourceTotals().equals(warehouseTotals()));
            reading.set(false);
            reader.get(1, TimeUnit.MINUTES);

            assertThat(violations).as("orders whose total disagreed with their lines in the warehouse").isEmpty();
            assertThat(checks.get()).as("consistency checks made while the stream was applied").isGreaterThan(20);
            assertThat(appliedBatches.get()).isGreaterThan(10);
            assertThat(services.query("cdw", DISAGREEING)).isEmpty();
            assertThat(services.query("cdw", "SELECT count(*) FROM star_dw.fact_order_line WHERE NOT is_deleted"))
                    .isEqualTo(services.query("csrc", "SELECT count(*) FROM order_items"));
        } finally {
            applying.set(false);
            reading.set(false);
            threads.shutdown();
            threads.awaitTermination(1, TimeUnit.MINUTES);
            extract.stop();
        }
    }

    /** One writer's transactions, each keeping its order's total equal to the sum of its lines. */
    private static Void write(int writer) throws Exception {
        try (Connection c = DriverManager.getConnection(services.jdbcUrl("csrc"), services.user(),
                services.password()); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (int i = 0; i < TRANSACTIONS_PER_WRITER; i++) {
                long order;
                int kind = random.nextInt(5);
                if (kind == 0) {
                    order = 1000 + writer * 1000L + i;
                    s.execute("INSERT INTO orders VALUES (" + order + ", " + (1 + random.nextInt(50)) + ", now(), 0)");
                    s.execute("INSERT INTO order_items (order_id, product_id, quantity, unit_price, pack_size) SELECT "
                            + order + ", 1 + g % 20, 1 + g % 3, 2.50 * g, 1 FROM generate_series(1, "
                            + (1 + random.nextInt(6)) + ") g");
                } else {
                    order = 1 + random.nextInt(100);
                    s.execute("SELECT id FROM orders WHERE id = " + order + " FOR UPDATE");
                    switch (kind) {
                        case 1 -> s.execute("UPDATE order_items SET quantity = quantity + 1 WHERE order_id = " + order);
                        case 2 -> s.execute("DELETE FROM order_items WHERE id = (SELECT min(id) FROM order_items "
                                + "WHERE order_id = " + order + ")");
                        case 3 -> s.execute("INSERT INTO order_items (order_id, product_id, quantity, unit_price, "
                                + "pack_size) VALUES (" + order + ", 3, 2, 4.20, 1)");
                        default -> s.execute("UPDATE orders SET customer_id = 1 + (customer_id % 50), created_at = "
                                + "created_at + interval '20 days' WHERE id = " + order);
                    }
                }
                s.execute("UPDATE orders o SET total = (SELECT coalesce(sum(quantity * unit_price), 0) "
                        + "FROM order_items i WHERE i.order_id = o.id) WHERE id = " + order);
                c.commit();
            }
        }
        return null;
    }

    private static Void apply(WarehouseDeployment deployment, KafkaSchemaStore store, AtomicBoolean applying,
            AtomicLong batches) throws Exception {
        try (Connection c = DriverManager.getConnection(services.jdbcUrl("cdw"), services.user(), services.password())) {
            WarehouseApplier applier = WarehouseApplier.open(c, PIPELINE, "star_dw", deployment.tables(),
                    WarehouseDeployment.VERSION, 200, Optional.of(deployment.star()));
            try (ChangeStreamReader reader = ChangeStreamReader.open(services.bootstrapServers(), PIPELINE,
                    applier.nextOffset(), applier.applied(), store)) {
                while (applying.get()) {
                    long before = applier.nextOffset();
                    applier.applyOnce(reader, Duration.ofMillis(50));
                    if (applier.nextOffset() > before) {
                        batches.incrementAndGet();
                    }
                }
            }
        }
        return null;
    }

    private static Void read(AtomicBoolean reading, AtomicInteger checks, List<String> violations) throws Exception {
        try (Connection c = DriverManager.getConnection(services.jdbcUrl("cdw"), services.user(), services.password());
                Statement s = c.createStatement()) {
            while (reading.get()) {
                try (ResultSet rs = s.executeQuery(DISAGREEING)) {
                    while (rs.next()) {
                        violations.add(rs.getString(1));
                    }
                }
                checks.incrementAndGet();
            }
        }
        return null;
    }

    private static List<String> sourceTotals() throws Exception {
        return services.query("csrc", "SELECT id || ' ' || total FROM orders ORDER BY id");
    }

    private static List<String> warehouseTotals() throws Exception {
        return services.query("cdw", "SELECT id || ' ' || total FROM star_dw.fact_order WHERE NOT is_deleted "
                + "ORDER BY id");
    }
}
