package dev.lockstep.embedded.testing;

/**
 * The PostgreSQL server and Kafka cluster a test JVM runs against: embedded (default), Testcontainers or
 * external deployments, chosen with {@code -Dlockstep.services=embedded|testcontainers|external}.
 */
public interface Services extends AutoCloseable {

    /** Returns a JDBC URL (without credentials) for {@code database} on the PostgreSQL server. */
    String jdbcUrl(String database);

    /** Returns a user allowed to create databases, replication slots and publications. */
    String user();

    /** Returns that user's password; empty when the server trusts local connections. */
    String password();

    /** Creates {@code database} unless it exists. */
    default void createDatabase(String database) {
        AdminSql.createDatabase(this, database);
    }

    /** Drops {@code database}, disconnecting its sessions; best effort. */
    default void dropDatabase(String database) {
        AdminSql.dropDatabase(this, database);
    }

    /** Returns the Kafka bootstrap servers. */
    String bootstrapServers();

    /** Stops what these services started; external deployments are left alone. */
    @Override
    void close();
}
