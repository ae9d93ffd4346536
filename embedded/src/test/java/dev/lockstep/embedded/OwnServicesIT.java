package dev.lockstep.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.embedded.testing.ServicesExtension;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A fault test's own services: a database on a server of its own stops and comes back while the others stay up. */
class OwnServicesIT {

    @RegisterExtension
    static final ServicesExtension services = ServicesExtension.ownEmbedded().withSeparateServer("warehouse");

    @Test
    void shouldStopSeparateServerWhileTheMainOneServes() throws SQLException {
        services.execute("shop", "CREATE TABLE orders (id int PRIMARY KEY)", "INSERT INTO orders VALUES (1)");
        services.execute("warehouse", "CREATE TABLE fact_order (id int PRIMARY KEY)",
                "INSERT INTO fact_order VALUES (1)");
        assertThat(services.port("warehouse")).isNotEqualTo(services.port("shop"));
        String warehouseUrl = services.jdbcUrl("warehouse");

        services.postgres("warehouse").stopKeepingData();
        assertThatThrownBy(() -> services.query("warehouse", "SELECT 1")).isInstanceOf(SQLException.class);
        assertThat(services.query("shop", "SELECT count(*) FROM orders")).containsExactly("1");

        services.postgres("warehouse").start();
        assertThat(services.jdbcUrl("warehouse")).isEqualTo(warehouseUrl);
        assertThat(services.query("warehouse", "SELECT count(*) FROM fact_order")).containsExactly("1");
        assertThat(services.kafka().bootstrapServers()).isEqualTo(services.bootstrapServers());
    }
}
