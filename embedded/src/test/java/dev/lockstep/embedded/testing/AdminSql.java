package dev.lockstep.embedded.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/** Database-level statements (CREATE/DROP DATABASE) run against the server's {@code postgres} database. */
final class AdminSql {

    private static final String DUPLICATE_DATABASE = "42P04";

    private AdminSql() {}

    static void createDatabase(Services services, String database) {
        execute(services, "CREATE DATABASE \"" + database + "\"", true);
    }

    static void dropDatabase(Services services, String database) {
        execute(services, "DROP DATABASE IF EXISTS \"" + database + "\" WITH (FORCE)", false);
    }

    private static void execute(Services services, String sql, boolean mustSucceed) {
        try (Connection c = DriverManager.getConnection(services.jdbcUrl("postgres"), services.user(),
                        services.password());
                Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            if (mustSucceed && !DUPLICATE_DATABASE.equals(e.getSQLState())) {
                throw new IllegalStateException(sql + " failed: " + e.getMessage(), e);
            }
        }
    }
}
