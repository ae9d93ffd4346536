package dev.lockstep.embedded.testing;

import dev.lockstep.embedded.EmbeddedKafka;
import dev.lockstep.embedded.EmbeddedPostgres;
import java.util.concurrent.CompletableFuture;

/** The in-process services: zonky PostgreSQL and a KRaft Kafka broker, started side by side. */
final class EmbeddedServices implements Services {

    private final EmbeddedPostgres postgres;
    private final EmbeddedKafka kafka;

    private EmbeddedServices(EmbeddedPostgres postgres, EmbeddedKafka kafka) {
        this.postgres = postgres;
        this.kafka = kafka;
    }

    /** Returns services over a server and a broker someone else starts and stops. */
    static EmbeddedServices over(EmbeddedPostgres postgres, EmbeddedKafka kafka) {
        return new EmbeddedServices(postgres, kafka);
    }

    static EmbeddedServices start() {
        EmbeddedPostgres postgres = EmbeddedPostgres.builder().build();
        EmbeddedKafka kafka = EmbeddedKafka.builder().build();
        CompletableFuture<EmbeddedPostgres> pg = CompletableFuture.supplyAsync(postgres::start);
        try {
            kafka.start();
            pg.join();
        } catch (RuntimeException e) {
            pg.handle((ok, failed) -> null).join();
            kafka.stop();
            postgres.stop();
            throw e;
        }
        return new EmbeddedServices(postgres, kafka);
    }

    @Override
    public String jdbcUrl(String database) {
        return postgres.jdbcUrl(database);
    }

    @Override
    public String user() {
        return postgres.user();
    }

    @Override
    public String password() {
        return "";
    }

    @Override
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    @Override
    public void close() {
        kafka.stop();
        postgres.stop();
    }
}
