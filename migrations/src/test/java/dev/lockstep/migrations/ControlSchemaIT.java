package dev.lockstep.migrations;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.embedded.testing.ServicesExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.ds.PGSimpleDataSource;

/** The control schema's Flyway migrations apply to a real PostgreSQL, and applying them again changes nothing. */
class ControlSchemaIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    @Test
    void shouldApplyMigrationsOnceAndReapplyAsNoOp() throws SQLException {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(services.jdbcUrl("control"));
        dataSource.setUser(services.user());
        dataSource.setPassword(services.password());
        ControlSchema control = ControlSchema.of(dataSource);

        int first = control.migrate();
        int historyAfterFirst = historyRows();
        int second = control.migrate();

        assertThat(first).isPositive();
        assertThat(second).isZero();
        assertThat(historyRows()).isEqualTo(historyAfterFirst);
        assertThat(control.currentVersion()).isEqualTo(String.valueOf(first));
        try (Connection c = services.connect("control"); Statement s = c.createStatement()) {
            s.execute("INSERT INTO lockstep.deployments (pipeline, version, checksum, definition) "
                    + "VALUES ('shop', 1, 'abc', 'pipeline: shop')");
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM lockstep.deployments")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
        }
    }

    private static int historyRows() throws SQLException {
        try (Connection c = services.connect("control"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM lockstep.control_schema_history WHERE success")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
