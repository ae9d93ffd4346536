package dev.lockstep.embedded.testing;

import dev.lockstep.embedded.EmbeddedKafka;
import dev.lockstep.embedded.EmbeddedPostgres;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A Kafka broker and PostgreSQL servers that belong to one test class, which may stop and restart them in place:
 * a main server, and one more server for each group of databases named as separate.
 */
final class OwnEmbeddedServices implements AutoCloseable {

    private final EmbeddedKafka kafka;
    private final EmbeddedPostgres postgres;
    private final Map<String, EmbeddedPostgres> separate;

    private OwnEmbeddedServices(EmbeddedKafka kafka, EmbeddedPostgres postgres,
            Map<String, EmbeddedPostgres> separate) {
        this.kafka = kafka;
        this.postgres = postgres;
        this.separate = separate;
    }

    /** Starts a broker, a main PostgreSQL server and one more server per group of databases in {@code separate}. */
    static OwnEmbeddedServices start(List<List<String>> separate) {
        Map<String, EmbeddedPostgres> servers = new LinkedHashMap<>();
        for (List<String> group : separate) {
            EmbeddedPostgres server = EmbeddedPostgres.builder().build();
            group.forEach(name -> servers.put(name, server));
        }
        OwnEmbeddedServices own = new OwnEmbeddedServices(EmbeddedKafka.builder().build(),
                EmbeddedPostgres.builder().build(), servers);
        try {
            CompletableFuture<Void> postgres = CompletableFuture.runAsync(() -> {
                own.postgres.start();
                servers.values().stream().distinct().forEach(EmbeddedPostgres::start);
            });
            own.kafka.start();
            postgres.join();
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
        return own;
    }

    /** Returns the main server and the broker. */
    Services main() {
        return EmbeddedServices.over(postgres, kafka);
    }

    /** Returns the services that hold the database {@code logicalName}. */
    Services servicesFor(String logicalName) {
        return EmbeddedServices.over(postgres(logicalName), kafka);
    }

    /** Returns the PostgreSQL server that holds the database {@code logicalName}. */
    EmbeddedPostgres postgres(String logicalName) {
        return separate.getOrDefault(logicalName, postgres);
    }

    /** Returns the broker. */
    EmbeddedKafka kafka() {
        return kafka;
    }

    @Override
    public void close() {
        kafka.stop();
        postgres.stop();
        separate.values().stream().distinct().forEach(EmbeddedPostgres::stop);
    }
}
