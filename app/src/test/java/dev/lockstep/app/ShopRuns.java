package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.embedded.testing.ChildJvm;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.shop.AlertsWebhook;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** {@code lockstep run|reconcile|status} on the shop example as child JVMs, against the test's services. */
final class ShopRuns {

    static final Path DEFINITION = Path.of("..", DemoCommand.EXAMPLE);

    private final ServicesExtension services;
    private final AlertsWebhook webhook;

    ShopRuns(ServicesExtension services, AlertsWebhook webhook) {
        this.services = services;
        this.webhook = webhook;
    }

    /** Writes the shop example renamed to {@code pipeline} (warehouse schema {@code <pipeline>_dw}) into {@code dir}. */
    static Path renamed(Path dir, String pipeline) throws Exception {
        Path definition = dir.resolve(pipeline + ".yaml");
        Files.writeString(definition, Files.readString(DEFINITION).replace("pipeline: shop", "pipeline: " + pipeline)
                .replace("schema: shop_dw", "schema: " + pipeline + "_dw"));
        return definition;
    }

    /** Starts {@code lockstep run} and waits until it runs; {@code properties} are the child's system properties. */
    ChildJvm startRun(Path definition, String source, String warehouse, Map<String, String> properties) {
        ChildJvm run = child(source, warehouse, properties, "run", definition.toString(), "--progress", "log",
                "--log-every", "PT2S");
        run.awaitLine(l -> l.startsWith("Running pipeline"), Duration.ofMinutes(2));
        return run;
    }

    /** Runs {@code lockstep reconcile} (it waits for the pipeline to catch up) and asserts an exact match. */
    void assertReconciles(Path definition, String source, String warehouse) {
        try (ChildJvm reconcile = child(source, warehouse, Map.of(), "reconcile", definition.toString(),
                "--timeout", "PT3M")) {
            int exit = reconcile.awaitExitCode(Duration.ofMinutes(5));
            assertThat(reconcile.output()).as("reconcile's output").anyMatch(l -> l.startsWith("PASS"));
            assertThat(exit).isZero();
        }
    }

    /** Starts {@code lockstep <args>} against the databases {@code source} and {@code warehouse}. */
    ChildJvm child(String source, String warehouse, Map<String, String> properties, String... args) {
        ChildJvm.Builder builder = ChildJvm.of(Lockstep.class).args(args).heap("384m")
                .environment("SHOP_SOURCE_URL", services.jdbcUrl(source))
                .environment("SHOP_SOURCE_USER", services.user())
                .environment("SHOP_SOURCE_PASSWORD", services.password())
                .environment("SHOP_WAREHOUSE_URL", services.jdbcUrl(warehouse))
                .environment("SHOP_WAREHOUSE_USER", services.user())
                .environment("SHOP_WAREHOUSE_PASSWORD", services.password())
                .environment("SHOP_ALERTS_WEBHOOK", webhook.url())
                .environment("LOCKSTEP_KAFKA_BOOTSTRAP", services.bootstrapServers());
        properties.forEach(builder::systemProperty);
        return builder.start();
    }
}
