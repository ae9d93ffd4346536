package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.embedded.testing.ChildJvm;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.shop.AlertsWebhook;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

    /**
     * Returns the shop example's text pointed at the databases {@code source} and {@code warehouse} of
     * {@code services}, with literal URLs and users and the password read from the file {@code password} beside
     * the definition: for commands run in the test's JVM, which cannot set environment variables.
     */
    static String pointedAt(ServicesExtension services, String source, String warehouse) throws Exception {
        String shop = Files.readString(DEFINITION);
        return replaceLine(replaceLine(replaceLine(replaceLine(replaceLine(replaceLine(shop,
                "url: ${SHOP_SOURCE_URL", "url: \"" + services.jdbcUrl(source) + "\""),
                "user: ${SHOP_SOURCE_USER", "user: " + services.user()),
                "password: ${SHOP_SOURCE_PASSWORD", "password: { file: password }"),
                "url: ${SHOP_WAREHOUSE_URL", "url: \"" + services.jdbcUrl(warehouse) + "\""),
                "user: ${SHOP_WAREHOUSE_USER", "user: " + services.user()),
                "password: ${SHOP_WAREHOUSE_PASSWORD", "password: { file: password }");
    }

    /** Replaces the first line of {@code text} that starts with {@code start} (indent aside), keeping its indent. */
    static String replaceLine(String text, String start, String replacement) {
        List<String> lines = new ArrayList<>(text.lines().toList());
        for (int i = 0; i < lines.size(); i++) {
            String trimmed = lines.get(i).stripLeading();
            if (trimmed.startsWith(start)) {
                String indent = lines.get(i).substring(0, lines.get(i).length() - trimmed.length());
                lines.set(i, indent + replacement);
                return String.join("\n", lines) + "\n";
            }
        }
        throw new AssertionError(start + " not found");
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
        return child(source, warehouse, properties, Map.of(), args);
    }

    /**
     * Starts {@code lockstep <args>} against the databases {@code source} and {@code warehouse}, with
     * {@code environment} beside the connection variables.
     */
    ChildJvm child(String source, String warehouse, Map<String, String> properties, Map<String, String> environment,
            String... args) {
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
        environment.forEach(builder::environment);
        return builder.start();
    }
}
