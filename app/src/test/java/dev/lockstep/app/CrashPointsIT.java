package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.FailPoint;
import dev.lockstep.embedded.testing.ChildJvm;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.shop.AlertsWebhook;
import dev.lockstep.shop.ShopDatabase;
import dev.lockstep.shop.ShopWorkload;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code lockstep run} dies (as {@code kill -9} would) at each named step of the extract's commit and of the apply
 * transaction, and mid-snapshot, while the shop workload writes; restarted, it resumes, and {@code reconcile} then
 * finds the warehouse exactly equal to the source: nothing lost, nothing applied twice.
 */
class CrashPointsIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    private static final double RATE = 300;
    private static AlertsWebhook webhook;
    private static ShopRuns runs;

    @BeforeAll
    static void startWebhook() {
        webhook = AlertsWebhook.start();
        runs = new ShopRuns(services, webhook);
    }

    @AfterAll
    static void stopWebhook() {
        webhook.close();
    }

    @ParameterizedTest(name = "{0} at pass {1}")
    @CsvSource({
        FailPoint.MID_SNAPSHOT + ", 1",
        FailPoint.BEFORE_KAFKA_COMMIT + ", 30",
        FailPoint.AFTER_KAFKA_COMMIT + ", 30",
        FailPoint.BEFORE_WAREHOUSE_COMMIT + ", 6",
        FailPoint.AFTER_WAREHOUSE_COMMIT + ", 6",
        FailPoint.BEFORE_WAREHOUSE_COMMIT + ", 2"
    })
    void shouldReconcileExactlyAfterDyingAt(String failPoint, int pass, @TempDir Path dir) throws Exception {
        String pipeline = "crash" + Math.abs((failPoint + ":" + pass).hashCode() % 10_000);
        Path definition = ShopRuns.renamed(dir, pipeline);
        String source = pipeline + "src";
        String warehouse = pipeline + "dw";
        ShopDatabase shop = new ShopDatabase(1_500, 150, 1_500);
        try (Connection c = services.connect(source)) {
            shop.create(c);
        }
        services.database(warehouse);
        ShopWorkload workload = new ShopWorkload(shop, pass);
        AtomicBoolean stopWriting = new AtomicBoolean();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (Connection c = services.connect(source)) {
                workload.run(c, Long.MAX_VALUE, RATE, stopWriting::get);
            } catch (Throwable e) {
                writerFailure.set(e);
            }
        }, pipeline + "-workload");
        ChildJvm run = runs.startRun(definition, source, warehouse, Map.of(FailPoint.PROPERTY, failPoint + ":" + pass));
        try {
            writer.start();
            assertThat(run.awaitExitCode(Duration.ofMinutes(3))).as("died at the fail-point")
                    .isEqualTo(FailPoint.EXIT_STATUS);
            assertThat(run.output()).anyMatch(l -> l.startsWith("FAILPOINT " + failPoint + " reached"));
            run.close();

            long before = workload.changes();
            run = runs.startRun(definition, source, warehouse, Map.of());
            await().atMost(Duration.ofMinutes(2)).until(() -> workload.changes() > before + 600
                    || writerFailure.get() != null);
            stopWriting.set(true);
            writer.join();
            assertThat(writerFailure.get()).as("the workload").isNull();
            runs.assertReconciles(definition, source, warehouse);
        } finally {
            stopWriting.set(true);
            run.close();
        }
    }
}
