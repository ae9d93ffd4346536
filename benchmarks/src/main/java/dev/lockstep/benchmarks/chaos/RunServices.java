package dev.lockstep.benchmarks.chaos;

import dev.lockstep.embedded.EmbeddedKafka;
import dev.lockstep.embedded.EmbeddedPostgres;
import dev.lockstep.shop.AlertsWebhook;
import dev.lockstep.shop.ShopDefinition;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The services of one chaos run, fresh for it and in this JVM: an embedded PostgreSQL with the databases {@code shop}
 * (the source) and {@code warehouse}, an embedded Kafka broker, and a local endpoint for the definition's alert
 * webhook. Their data lives under the run's directory and is removed on {@link #close()}.
 */
final class RunServices implements AutoCloseable {

    static final String SOURCE = "shop";
    static final String WAREHOUSE = "warehouse";

    private final EmbeddedPostgres postgres;
    private final EmbeddedKafka kafka;
    private final AlertsWebhook webhook;
    private final long postgresPid;
    private boolean stopped;

    private RunServices(EmbeddedPostgres postgres, EmbeddedKafka kafka, AlertsWebhook webhook) {
        this.postgres = postgres;
        this.kafka = kafka;
        this.webhook = webhook;
        this.postgresPid = postgres.serverPid();
    }

    /** Starts the services with their data under {@code directory}. */
    static RunServices start(Path directory) {
        EmbeddedPostgres postgres = EmbeddedPostgres.builder().baseDirectory(directory).databases(SOURCE, WAREHOUSE)
                .build().start();
        EmbeddedKafka kafka = null;
        try {
            kafka = EmbeddedKafka.builder().baseDirectory(directory).build().start();
            return new RunServices(postgres, kafka, AlertsWebhook.start());
        } catch (RuntimeException e) {
            if (kafka != null) {
                kafka.close();
            }
            postgres.close();
            throw e;
        }
    }

    /** Returns the variables examples/shop/pipeline.yaml reads, pointing at these services. */
    Map<String, String> environment() {
        Map<String, String> environment = new HashMap<>(ShopDefinition.environment(postgres.jdbcUrl(SOURCE),
                postgres.user(), postgres.jdbcUrl(WAREHOUSE), postgres.user(), webhook.url()));
        environment.put("LOCKSTEP_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
        return Map.copyOf(environment);
    }

    Connection connect(String database) throws SQLException {
        return postgres.connect(database);
    }

    /** Returns the PostgreSQL postmaster's pid (it is not a child of this JVM: pg_ctl detaches it). */
    long postgresPid() {
        return postgresPid;
    }

    /** Returns how many alert events the webhook received. */
    long alertsReceived() {
        return webhook.received();
    }

    /** Stops everything; returns what could not be stopped, empty when all went well. */
    List<String> stop() {
        List<String> problems = new ArrayList<>();
        if (stopped) {
            return problems;
        }
        stopped = true;
        stop(problems, "the alerts webhook", webhook::close);
        stop(problems, "Kafka", kafka::close);
        stop(problems, "PostgreSQL", postgres::close);
        return problems;
    }

    @Override
    public void close() {
        stop();
    }

    private static void stop(List<String> problems, String what, Runnable stop) {
        try {
            stop.run();
        } catch (RuntimeException e) {
            problems.add("stopping " + what + ": " + e);
        }
    }
}
