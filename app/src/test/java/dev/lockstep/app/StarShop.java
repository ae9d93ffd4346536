package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.runtime.WarehouseDeployment;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * The shop the apply ITs share: its source tables ({@code ddl/star-shop.sql}), its star-schema definition
 * ({@code definitions/star-shop.yaml}) and applying a pipeline's changes topic until the applier has caught up.
 */
final class StarShop {

    private StarShop() {}

    /** Creates the shop's source tables in database {@code source}. */
    static void createSourceTables(ServicesExtension services, String source) throws Exception {
        services.execute(source, resource("/ddl/star-shop.sql"));
    }

    /** Writes the shop's star-schema definition for the test services and returns its file. */
    static Path definition(Path dir, ServicesExtension services, String pipeline, String source, String warehouse,
            String schema) throws IOException {
        Path file = dir.resolve(pipeline + ".yaml");
        Files.writeString(file, resource("/definitions/star-shop.yaml").replace("@PIPELINE@", pipeline)
                .replace("@PORT@", String.valueOf(services.port(source))).replace("@SOURCE@", services.database(source))
                .replace("@WAREHOUSE@", services.database(warehouse)).replace("@USER@", services.user())
                .replace("@SCHEMA@", schema));
        return file;
    }

    /** Applies everything on the changes topic with the star schema, as one applier run, into {@code warehouse}. */
    static void applyAll(ServicesExtension services, String warehouse, String pipeline, WarehouseDeployment deployment,
            KafkaSchemaStore store) throws Exception {
        applyAll(services, warehouse, services.user(), pipeline, deployment, store);
    }

    /**
     * Applies as {@link #applyAll(ServicesExtension, String, String, WarehouseDeployment, KafkaSchemaStore)} does, as
     * the warehouse role {@code user}; returns whether the applier's session checked the facts' foreign keys.
     */
    static boolean applyAll(ServicesExtension services, String warehouse, String user, String pipeline,
            WarehouseDeployment deployment, KafkaSchemaStore store) throws Exception {
        long end = ChangeEnvelopes.endOffset(services.bootstrapServers(), pipeline);
        try (Connection c = DriverManager.getConnection(services.jdbcUrl(warehouse), user, services.password())) {
            WarehouseApplier applier = WarehouseApplier.open(c, pipeline, deployment.star().schema(), deployment.tables(),
                    WarehouseDeployment.VERSION, 5_000, Optional.of(deployment.star()));
            try (ChangeStreamReader reader = ChangeStreamReader.open(services.bootstrapServers(), pipeline,
                    applier.nextOffset(), applier.applied(), store)) {
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(1)).until(() -> {
                    applier.applyOnce(reader, Duration.ofMillis(200));
                    return applier.nextOffset() >= end;
                });
            }
            assertThat(filledWorkTables(c)).as("work tables of the applier's session holding rows after its last "
                    + "commit").isEmpty();
            return applier.checksForeignKeys();
        }
    }

    /** Returns the temporary tables of {@code c}'s session that hold rows, with their counts. */
    static Map<String, Long> filledWorkTables(Connection c) throws SQLException {
        Map<String, Long> filled = new TreeMap<>();
        List<String> tables = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT relname FROM pg_class WHERE "
                + "relnamespace = pg_my_temp_schema() AND relkind = 'r'")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        for (String table : tables) {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
                rs.next();
                if (rs.getLong(1) > 0) {
                    filled.put(table, rs.getLong(1));
                }
            }
        }
        c.commit();
        return filled;
    }

    /**
     * Runs the references rules at an applier's control point, as the apply stage does while the stream is quiet,
     * until {@code done} (checked after each run) holds.
     */
    static void checkReferencesUntil(ServicesExtension services, String warehouse, String pipeline,
            WarehouseDeployment deployment, Callable<Boolean> done) throws Exception {
        try (Connection c = DriverManager.getConnection(services.jdbcUrl(warehouse), services.user(),
                services.password())) {
            WarehouseApplier applier = WarehouseApplier.open(c, pipeline, deployment.star().schema(), deployment.tables(),
                    WarehouseDeployment.VERSION, 5_000, Optional.of(deployment.star()));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                applier.checkReferences(Duration.ZERO);
                return done.call();
            });
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = StarShop.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
