package dev.lockstep.app;

import dev.lockstep.embedded.testing.ServicesExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Definition files for the CLI's integration tests, pointing at the test services. */
final class TestDefinitions {

    private TestDefinitions() {}

    /**
     * Writes {@code <pipeline>.yaml} into {@code dir}: source tables {@code tables} of database {@code source},
     * warehouse database {@code warehouse} with schema {@code schema}, then {@code extra} YAML lines.
     */
    static Path write(Path dir, ServicesExtension services, String pipeline, String source, String tables,
            String warehouse, String schema, String extra) throws IOException {
        int port = services.port(source);
        Path file = dir.resolve(pipeline + ".yaml");
        Files.writeString(file, """
                pipeline: %s
                source:
                  postgres: { host: localhost, port: %d, database: %s, user: %s }
                  tables: [%s]
                warehouse:
                  postgres: { host: localhost, port: %d, database: %s, user: %s }
                  schema: %s
                %s
                """.formatted(pipeline, port, services.database(source), services.user(), tables, port,
                services.database(warehouse), services.user(), schema, extra));
        return file;
    }
}
