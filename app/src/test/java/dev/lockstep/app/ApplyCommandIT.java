package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.embedded.testing.ChildJvm;
import dev.lockstep.embedded.testing.ServicesExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code lockstep apply FILE} migrates the warehouse and keeps its raw layer equal to the source until stopped. */
class ApplyCommandIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    @Test
    void shouldMirrorSourceIntoRawLayerUntilStoppedAndResume(@TempDir Path dir) throws Exception {
        services.execute("stock", "CREATE TABLE stock (sku text PRIMARY KEY, quantity int NOT NULL)",
                "INSERT INTO stock VALUES ('a', 1), ('b', 2)");
        Path definition = TestDefinitions.write(dir, services, "stock", "stock", "stock", "dw", "stock_dw", "");
        ExtractSettings settings = ExtractSettings.of("stock", "localhost", services.port("stock"),
                services.database("stock"),
                services.user(), services.password(), List.of(TableId.parse("public.stock")),
                services.bootstrapServers());

        try (PostgresCdcSource extract = new PostgresCdcSource(settings).start()) {
            try (ChildJvm apply = startApply(definition, "stock")) {
                await().atMost(Duration.ofMinutes(1)).until(() -> services.query("dw",
                        "SELECT sku || '=' || quantity FROM stock_dw_raw.stock WHERE NOT _deleted ORDER BY sku")
                        .equals(List.of("a=1", "b=2")));
                apply.stop(Duration.ofMinutes(1));
                assertThat(apply.output()).anyMatch(l -> l.contains("Stopped pipeline stock's apply at"));
            }
            services.execute("stock", "UPDATE stock SET quantity = 5 WHERE sku = 'a'", "DELETE FROM stock WHERE sku = 'b'");
            try (ChildJvm apply = startApply(definition, "stock")) {
                await().atMost(Duration.ofMinutes(1)).until(() -> services.query("dw",
                        "SELECT sku || '=' || quantity || ':' || _deleted FROM stock_dw_raw.stock ORDER BY sku")
                        .equals(List.of("a=5:false", "b=2:true")));
            }
        }
        assertThat(services.query("dw", "SELECT count(*) FROM stock_dw.flyway_schema_history WHERE success AND version = '1'"))
                .as("the raw layer migrated once, not again on the second run").containsExactly("1");
    }

    @Test
    void shouldLoseNothingWhenApplyIsKilledTwice(@TempDir Path dir) throws Exception {
        services.execute("ledger", "CREATE TABLE ledger (id int PRIMARY KEY, amount numeric(12,2) NOT NULL, note text)");
        Path definition = TestDefinitions.write(dir, services, "ledger", "ledger", "ledger", "ledger_dw", "ledger_dw", """
                load: { batch_size: 50 }
                dimensions:
                  account: { from: public.ledger, key: id, scd: 2, columns: { note: note } }
                facts:
                  entry: { from: public.ledger, grain: [id], dimensions: { account: id }, measures: { amount: amount } }
                """);
        ExtractSettings settings = ExtractSettings.of("ledger", "localhost", services.port("ledger"),
                services.database("ledger"),
                services.user(), services.password(), List.of(TableId.parse("public.ledger")),
                services.bootstrapServers());
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger transactions = new java.util.concurrent.atomic.AtomicInteger();
        Thread writer = new Thread(() -> {
            try (Connection c = services.connect("ledger"); Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                for (int i = 0; writing.get() && i < 100_000; i++) {
                    s.execute("INSERT INTO ledger VALUES (" + i + ", " + i + ".25, 'n" + i + "')");
                    s.execute("UPDATE ledger SET amount = amount + 1, note = note || '+' WHERE id = " + (i / 2));
                    if (i % 3 == 0) {
                        s.execute("DELETE FROM ledger WHERE id = " + (i / 3));
                    }
                    c.commit();
                    transactions.incrementAndGet();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "ledger-writer");

        try (PostgresCdcSource extract = new PostgresCdcSource(settings).start()) {
            await().atMost(Duration.ofMinutes(1)).until(() -> services.query("ledger",
                    "SELECT active FROM pg_replication_slots WHERE slot_name = 'lockstep_ledger'").equals(List.of("t")));
            writer.start();
            for (int kill = 1; kill <= 2; kill++) {
                int target = transactions.get() + 200;
                try (ChildJvm apply = startApply(definition, "ledger")) {
                    await().atMost(Duration.ofMinutes(1)).until(() -> appliedRows("ledger_dw") >= target / 2);
                    apply.kill(); // kill -9, wherever it is: before, during or after a commit
                }
            }
            writing.set(false);
            writer.join();
            try (ChildJvm apply = startApply(definition, "ledger")) {
                await().atMost(Duration.ofMinutes(2)).until(() -> services.query("ledger",
                        "SELECT id || ':' || amount || ':' || note FROM ledger ORDER BY id").equals(services.query("ledger_dw",
                        "SELECT id || ':' || amount || ':' || note FROM ledger_dw_raw.ledger WHERE NOT _deleted "
                                + "ORDER BY id")));
            }
        }
        assertThat(services.query("ledger_dw", "SELECT count(*) FROM lockstep.quarantine")).containsExactly("0");
        // The star schema too: every fact once, with the source's amount; one SCD 2 version per note change.
        assertThat(services.query("ledger_dw", "SELECT id || ':' || amount FROM ledger_dw.fact_entry WHERE NOT is_deleted "
                + "ORDER BY id")).isEqualTo(services.query("ledger", "SELECT id || ':' || amount FROM ledger ORDER BY id"));
        assertThat(services.query("ledger_dw", "SELECT id || ':' || note FROM ledger_dw.dim_account WHERE is_current "
                + "AND NOT is_deleted AND account_key <> -1 ORDER BY id")).isEqualTo(services.query("ledger",
                "SELECT id || ':' || note FROM ledger ORDER BY id"));
        assertThat(services.query("ledger_dw", "SELECT id FROM ledger_dw.dim_account a JOIN ledger_dw_raw.ledger r "
                + "USING (id) WHERE account_key <> -1 AND NOT r._deleted GROUP BY id, r.note HAVING count(*) <> length(r.note) "
                + "- length(replace(r.note, '+', '')) + 1 LIMIT 5"))
                .as("accounts whose version count differs from their number of note changes + 1").isEmpty();
        assertThat(services.query("ledger_dw", "SELECT count(*) FROM ledger_dw.dim_account WHERE is_inferred"))
                .containsExactly("0");
    }

    private static long appliedRows(String database) throws Exception {
        List<String> count = services.query(database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'ledger_dw_raw'");
        if (count.equals(List.of("0"))) {
            return 0;
        }
        return Long.parseLong(services.query(database, "SELECT count(*) FROM ledger_dw_raw.ledger").get(0));
    }

    private static ChildJvm startApply(Path definition, String pipeline) {
        ChildJvm apply = ChildJvm.of(Lockstep.class)
                .args("apply", definition.toString(), "--kafka", services.bootstrapServers()).heap("384m").start();
        apply.awaitLine(l -> l.startsWith("Applying pipeline " + pipeline), Duration.ofMinutes(2));
        return apply;
    }
}
