package dev.lockstep.connectors;

import static org.awaitility.Awaitility.await;

import dev.lockstep.core.stream.TableId;
import dev.lockstep.embedded.testing.ServicesExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/** Source databases and extract settings for the extract's integration tests. */
final class ExtractFixtures {

    private final ServicesExtension services;

    ExtractFixtures(ServicesExtension services) {
        this.services = services;
    }

    /** Settings for pipeline {@code pipeline} reading {@code tables} of this class's database {@code database}. */
    ExtractSettings settings(String pipeline, String database, List<TableId> tables) {
        String url = services.jdbcUrl(database);
        String hostPort = url.substring("jdbc:postgresql://".length(), url.lastIndexOf('/'));
        String host = hostPort.substring(0, hostPort.lastIndexOf(':'));
        int port = Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
        return ExtractSettings.of(pipeline, host, port, services.database(database), services.user(),
                services.password(), tables, services.bootstrapServers());
    }

    /** Runs statements on this class's database {@code database}, each in autocommit unless it says BEGIN. */
    void sql(String database, String... statements) throws SQLException {
        try (Connection c = services.connect(database); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    /** Returns the first column of the first row of {@code query} as text. */
    String scalar(String database, String query) throws SQLException {
        try (Connection c = services.connect(database); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** Waits until the extract's slot is in use: later commits are streamed, not snapshotted. */
    void awaitStreaming(String database, ExtractSettings settings) {
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            try (Connection c = services.connect(database); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT active FROM pg_replication_slots WHERE slot_name = '"
                            + settings.slotName() + "'")) {
                return rs.next() && rs.getBoolean(1);
            }
        });
    }
}
