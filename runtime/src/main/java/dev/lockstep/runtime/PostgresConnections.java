package dev.lockstep.runtime;

import dev.lockstep.core.definition.PostgresConnection;
import dev.lockstep.core.definition.Secret;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Opens the JDBC connections of a definition's databases. */
public final class PostgresConnections {

    private PostgresConnections() {}

    /**
     * Opens a connection to {@code postgres} named {@code applicationName} in {@code pg_stat_activity} (an
     * {@code ApplicationName} in the URL wins), the password revealed only to the driver.
     */
    public static Connection open(PostgresConnection postgres, String applicationName) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", postgres.user());
        properties.setProperty("password", postgres.password().map(Secret::reveal).orElse(""));
        properties.setProperty("ApplicationName", applicationName);
        return DriverManager.getConnection(postgres.jdbcUrl(), properties);
    }
}
