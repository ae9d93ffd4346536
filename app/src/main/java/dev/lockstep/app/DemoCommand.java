package dev.lockstep.app;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.embedded.EmbeddedKafka;
import dev.lockstep.embedded.EmbeddedPostgres;
import dev.lockstep.runtime.PipelineFiles;
import dev.lockstep.runtime.PipelineRun;
import dev.lockstep.runtime.WarehouseDeployment;
import dev.lockstep.shop.AlertsWebhook;
import dev.lockstep.shop.ShopDatabase;
import dev.lockstep.shop.ShopDefinition;
import dev.lockstep.shop.ShopWorkload;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lockstep demo}: the shop example end to end on embedded services — PostgreSQL (databases {@code shop} and
 * {@code warehouse}) and a Kafka broker in this process — with a workload generator changing the shop while the
 * pipeline runs.
 */
@Command(name = "demo",
        description = "Run the shop example end to end with nothing installed: starts an embedded PostgreSQL "
                + "(databases shop and warehouse) and an embedded Kafka broker, creates and seeds the shop's OLTP "
                + "schema, runs examples/shop/pipeline.yaml (as `lockstep run` does) and keeps a workload going: new "
                + "orders, status changes, customers moving city (new SCD 2 versions), deletes, and a few rows the "
                + "quality rules catch. Prints how to connect with psql and example star-schema queries. Ctrl-C "
                + "stops the workload, drains the pipeline and removes the embedded services' data.")
final class DemoCommand implements Callable<Integer>, LogFileOption.LogsToFile {

    static final String EXAMPLE = ShopDefinition.EXAMPLE;

    @Spec
    CommandSpec spec;

    @Option(names = "--rate", paramLabel = "CHANGES_PER_SECOND", defaultValue = "200",
            description = "Row changes per second the workload writes to the shop (0: none). Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--seed", defaultValue = "42", description = "The workload's random seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--file", paramLabel = "FILE", description = "The pipeline definition to run. Default: "
            + EXAMPLE + " (the copy built into Lockstep when that file is not in the working directory).")
    Path file;

    @Option(names = "--progress", paramLabel = "auto|live|log", defaultValue = "auto",
            description = "How to show progress: live (redrawn in place), log (a line every 10 s), auto. Default: "
                    + "${DEFAULT-VALUE}.")
    String progress;

    @Mixin
    LogFileOption logFile;

    @Override
    public LogFileOption logFile() {
        return logFile;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path definition = definitionFile();
        try (Foreground foreground = Foreground.install("lockstep-demo")) {
            out.println("Starting embedded PostgreSQL 17 (databases shop, warehouse) and an embedded Kafka broker…");
            out.flush();
            long started = System.nanoTime();
            try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().databases("shop", "warehouse")
                    .stopOnJvmExit(false).build().start();
                    EmbeddedKafka kafka = EmbeddedKafka.builder().stopOnJvmExit(false).build().start();
                    Connection shop = postgres.connect("shop")) {
                ShopDatabase database = ShopDatabase.demo();
                database.create(shop);
                try (AlertsWebhook webhook = AlertsWebhook.start()) {
                    Map<String, String> environment = new HashMap<>(ShopDefinition.environment(
                            postgres.jdbcUrl("shop"), postgres.user(), postgres.jdbcUrl("warehouse"), postgres.user(),
                            webhook.url()));
                    environment.put("LOCKSTEP_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
                    out.printf("Services up in %,d ms; shop seeded: %,d customers, %,d products, %,d orders.%n",
                            (System.nanoTime() - started) / 1_000_000, database.customers(), database.products(),
                            database.orders());
                    WarehouseDeployment deployment = WarehouseDeployment.deploy(definition,
                            name -> environment.containsKey(name) ? environment.get(name) : System.getenv(name));
                    ExtractSettings settings = PipelineFiles.extractSettings(deployment.definition(),
                            kafka.bootstrapServers());
                    printGuide(out, postgres, kafka, environment, definition);
                    Workload workload = new Workload(postgres, database, seed, rate);
                    workload.start();
                    RunCommand.run(out, deployment, settings, foreground, RunCommand.terminal(progress),
                            Duration.ofSeconds(10), PipelineRun.DEFAULT_FAULT_DEADLINE, workload::stop);
                    workload.stop();
                    out.printf("Workload wrote %,d row changes in %,d source transactions; the demo's webhook "
                            + "received %,d alert events.%n", workload.workload.changes(),
                            workload.workload.transactions(), webhook.received());
                    workload.rethrow();
                }
            }
            out.println("Embedded services stopped and their data removed.");
            out.flush();
        }
        return 0;
    }

    private Path definitionFile() throws IOException {
        return file != null ? file : ShopDefinition.file();
    }

    private static void printGuide(PrintWriter out, EmbeddedPostgres postgres, EmbeddedKafka kafka,
            Map<String, String> environment, Path definition) {
        String warehouse = "postgresql://" + postgres.user() + "@localhost:" + postgres.port() + "/warehouse";
        out.printf("""

                The warehouse, while the demo runs:  psql %s
                The shop (source):                   psql postgresql://%s@localhost:%d/shop
                Kafka:                               %s  (topic lockstep.shop.changes)

                In another terminal, with these variables set, `./lockstep status|reconcile|alerts|quarantine list %s`
                work on this demo:
                  export SHOP_SOURCE_URL=%s SHOP_SOURCE_USER=%s
                  export SHOP_WAREHOUSE_URL=%s SHOP_WAREHOUSE_USER=%s
                  export LOCKSTEP_KAFKA_BOOTSTRAP=%s

                Three star-schema queries to try (in psql on the warehouse):
                %s
                """, warehouse, postgres.user(), postgres.port(), kafka.bootstrapServers(), definition,
                environment.get("SHOP_SOURCE_URL"), postgres.user(), environment.get("SHOP_WAREHOUSE_URL"),
                postgres.user(), kafka.bootstrapServers(), EXAMPLE_QUERIES.indent(2));
        out.flush();
    }

    /** The README's three example queries over the shop's star schema. */
    static final String EXAMPLE_QUERIES = """
            -- Revenue per month and category
            SELECT d.year, d.month, p.category, sum(f.amount) AS revenue, sum(f.quantity) AS units
            FROM shop_dw.fact_order_line f
            JOIN shop_dw.dim_date d ON d.date_key = f.date_key
            JOIN shop_dw.dim_product p ON p.product_key = f.product_key
            GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2 DESC, revenue DESC LIMIT 10;

            -- Revenue by the city the customer lived in when ordering (SCD 2: the version valid then)
            SELECT c.city, count(*) AS lines, sum(f.amount) AS revenue
            FROM shop_dw.fact_order_line f
            JOIN shop_dw.dim_customer c ON c.customer_key = f.customer_key
            GROUP BY c.city ORDER BY revenue DESC;

            -- A customer's history: every version, with when it was valid
            SELECT id, city, segment, valid_from, valid_to, is_current
            FROM shop_dw.dim_customer
            WHERE id = (SELECT id FROM shop_dw.dim_customer GROUP BY id ORDER BY count(*) DESC, id LIMIT 1)
            ORDER BY valid_from;
            """;

    /** The workload generator on its own thread and connection. */
    private static final class Workload {
        final ShopWorkload workload;
        private final EmbeddedPostgres postgres;
        private final double rate;
        private volatile boolean stopped;
        private volatile Exception failure;
        private Thread thread;

        Workload(EmbeddedPostgres postgres, ShopDatabase database, long seed, double rate) {
            this.postgres = postgres;
            this.workload = new ShopWorkload(database, seed);
            this.rate = rate;
        }

        void start() {
            if (rate <= 0) {
                return;
            }
            thread = new Thread(() -> {
                try (Connection c = postgres.connect("shop")) {
                    workload.run(c, Long.MAX_VALUE, rate, () -> stopped);
                } catch (SQLException | RuntimeException e) {
                    failure = e;
                }
            }, "lockstep-demo-workload");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() {
            stopped = true;
            if (thread != null) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        void rethrow() {
            if (failure != null) {
                throw new LockstepException(ErrorCode.INTERNAL, "the demo's workload failed: " + failure, failure);
            }
        }
    }
}
