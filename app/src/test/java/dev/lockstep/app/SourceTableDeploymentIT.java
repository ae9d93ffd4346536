package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.embedded.testing.ChildJvm;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.shop.AlertsWebhook;
import dev.lockstep.shop.ShopDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A source table added to, then dropped from, a running pipeline with real Debezium: the deployment creates its raw
 * table, the run's extract restarts to capture it and reads its existing rows by an incremental snapshot while its
 * changes stream; dropping it again stops capturing it and drops the raw table at contract.
 */
class SourceTableDeploymentIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    private static final String SOURCE = "stsrc";
    private static final String WAREHOUSE = "stdw";
    private static final String TABLES = "    - public.order_items\n";

    @TempDir
    static Path dir;

    @Test
    void shouldCaptureAnAddedSourceTableWithItsExistingRowsAndStopCapturingADroppedOne() throws Exception {
        try (Connection c = services.connect(SOURCE); Statement s = c.createStatement()) {
            new ShopDatabase(40, 10, 50).create(c);
            s.execute("CREATE TABLE public.suppliers (id integer PRIMARY KEY, name text NOT NULL)");
            s.execute("INSERT INTO public.suppliers SELECT n, 'supplier ' || n FROM generate_series(1, 3) n");
        }
        services.database(WAREHOUSE);
        Files.writeString(dir.resolve("password"), services.password());
        String text = ShopRuns.pointedAt(services, SOURCE, WAREHOUSE).replace("pipeline: shop", "pipeline: srctables");
        assertThat(text).contains(TABLES);
        Path file = dir.resolve("shop.yaml");
        Files.writeString(file, text);
        try (AlertsWebhook webhook = AlertsWebhook.start();
                ChildJvm run = new ShopRuns(services, webhook).startRun(file, SOURCE, WAREHOUSE, Map.of())) {
            run.awaitLine(l -> l.startsWith("Initial snapshot applied"), Duration.ofMinutes(2));

            Files.writeString(file, text.replace(TABLES, TABLES + "    - public.suppliers\n"));
            assertThat(InProcessCli.succeed("deploy", file.toString())).contains("version 2 deployed");
            source("INSERT INTO public.suppliers VALUES (4, 'supplier 4')");
            source("UPDATE public.suppliers SET name = 'first' WHERE id = 1");

            await().atMost(Duration.ofMinutes(2)).untilAsserted(() -> assertThat(services.query(WAREHOUSE,
                    "SELECT string_agg(id || ' ' || name, ', ' ORDER BY id) FROM shop_dw_raw.suppliers WHERE NOT "
                            + "_deleted")).containsExactly("1 first, 2 supplier 2, 3 supplier 3, 4 supplier 4"));
            assertThat(run.output()).anyMatch(l -> l.contains("Extract restarting to capture"));

            Files.writeString(file, text);
            assertThat(InProcessCli.succeed("deploy", file.toString(), "--contract")).contains("version 3 deployed");
            assertThat(services.query(WAREHOUSE, "SELECT to_regclass('shop_dw_raw.suppliers') IS NULL"))
                    .containsExactly("t");
            source("INSERT INTO public.suppliers VALUES (5, 'supplier 5')");
            source("UPDATE public.customers SET name = 'renamed' WHERE id = 1");
            await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(services.query(WAREHOUSE,
                    "SELECT name FROM shop_dw.dim_customer WHERE id = 1 AND is_current")).as("still streaming")
                    .containsExactly("renamed"));
            assertThat(services.query(WAREHOUSE, "SELECT string_agg(state, ', ' ORDER BY version) FROM "
                    + "lockstep.deployments")).containsExactly("done, done, done");
            run.stop(Duration.ofMinutes(1));
            assertThat(run.output()).noneMatch(l -> l.contains("ERROR")).anyMatch(l -> l.startsWith("Stopped pipeline"));
        }
    }

    private static void source(String sql) throws Exception {
        services.execute(SOURCE, sql);
    }
}
