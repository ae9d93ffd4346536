package dev.lockstep.warehouse.star;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.warehouse.testing.TestStar;
import dev.lockstep.warehouse.testing.TestWarehouse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rebuild chunk running beside a batch: the batch changes a source row and writes the new value into the shadow
 * column (marking the row) while the chunk, which read the raw layer before the batch committed, waits for the row's
 * lock — and must then leave the batch's newer value be, not write what it read.
 */
class ColumnRebuildIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    @Test
    void shouldLeaveARowABatchWroteWhileTheChunkWaitedForIt(@TempDir Path dir) throws Exception {
        services.database("crdw");
        TestWarehouse warehouse = TestWarehouse.deploy(TestStar.definition(dir, services, "crit", "src", "crdw",
                "star_dw"));
        services.execute("crdw",
                "INSERT INTO star_dw_raw.orders (id, customer_id, created_at, total, _position_lsn, _position_seq) "
                        + "VALUES (100, 1, '2026-03-01 10:00+00', 10.00, 1, 1), (101, 1, '2026-03-01 10:00+00', 20.00, 1, 2)",
                "INSERT INTO star_dw.fact_order (id, customer_key, date_key, total, _position_lsn, _position_seq) "
                        + "VALUES (100, -1, -1, 10.00, 1, 1), (101, -1, -1, 20.00, 1, 2)",
                "ALTER TABLE star_dw.fact_order ADD COLUMN " + ColumnRebuild.MARKER + " boolean, "
                        + "ADD COLUMN _ls_next_total numeric");
        ColumnRebuild rebuild = ColumnRebuild.of(warehouse.star(), "order", "total", "_ls_next_total",
                Optional.of("total"));

        try (Connection batch = services.connect("crdw"); Connection chunks = services.connect("crdw")) {
            batch.setAutoCommit(false);
            try (Statement s = batch.createStatement()) {
                // What a batch does for order 100: its new image in the raw layer, the shadow column written, marked.
                s.execute("UPDATE star_dw_raw.orders SET total = 99.00, _position_lsn = 2 WHERE id = 100");
                s.execute("UPDATE star_dw.fact_order SET total = 99.00, _ls_next_total = 99.00, "
                        + ColumnRebuild.MARKER + " = true WHERE id = 100");
            }
            chunks.setAutoCommit(false);
            int chunkPid = pid(chunks);
            CompletableFuture<ColumnRebuild.Chunk> chunk = CompletableFuture.supplyAsync(() -> {
                try {
                    ColumnRebuild.Chunk done = rebuild.chunk(chunks, Optional.empty(), List.of("101"), 100);
                    chunks.commit();
                    return done;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // The chunk read the raw layer (order 100 at 10.00) and waits for the row the batch holds.
            await().atMost(Duration.ofSeconds(30)).until(() -> services.query("crdw", "SELECT count(*) FROM pg_locks "
                    + "WHERE NOT granted AND pid = " + chunkPid).equals(List.of("1")));
            batch.commit();

            assertThat(chunk.get().rows()).as("order 101 only").isEqualTo(1);
        }
        assertThat(services.query("crdw", "SELECT id || ' ' || _ls_next_total FROM star_dw.fact_order ORDER BY id"))
                .containsExactly("100 99.00", "101 20.00");
    }

    private static int pid(Connection c) throws Exception {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
