package dev.lockstep.warehouse.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.control.ControlSchema;
import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.PostgresConnection;
import dev.lockstep.core.definition.Secret;
import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.core.definition.live.SourceCatalog;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.warehouse.PostgresExpressionTypeChecker;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import dev.lockstep.warehouse.raw.MigrationScript;
import dev.lockstep.warehouse.star.StarSchema;
import dev.lockstep.warehouse.star.StarSchemaDdl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A warehouse built for the applier's tests the way a deployment builds it, from below the migrations module: the
 * definition checked and typed by the warehouse's PostgreSQL ({@link StarSchema#typed}), the control schema by its
 * own migrations ({@link ControlSchema}), the deployment recorded, then the generated migrations (raw layer, star
 * schema) and the quality rules' indexes run as generated — without Flyway's bookkeeping of them, which is the
 * migrations module's to test. Source tables are described by {@link TestStar#TABLES}, so no source database is read.
 */
public record TestWarehouse(PipelineDefinition definition, StarSchema star, List<Integer> applied) {

    /** The definition version every test warehouse is deployed as. */
    public static final int VERSION = 1;

    public TestWarehouse {
        applied = List.copyOf(applied);
    }

    /** Builds the warehouse of the TestStar definition {@code file}; its source tables are {@link TestStar#TABLES}. */
    public static TestWarehouse deploy(Path file) throws IOException, SQLException {
        ParsedDefinition parsed = DefinitionParser.create().parse(file);
        PipelineDefinition definition = parsed.definition().orElseThrow(() -> new IllegalArgumentException(
                "invalid definition " + file + ": " + parsed.errors()));
        StarSchema star;
        try (PostgresExpressionTypeChecker checker = PostgresExpressionTypeChecker.connect(
                definition.warehouse().postgres())) {
            star = StarSchema.typed(parsed, catalog(TestStar.TABLES), checker);
        }
        List<MigrationScript> scripts = StarSchemaDdl.migrations(star);
        DataSource dataSource = dataSource(definition.warehouse().postgres());
        migrate(dataSource, definition.pipeline(), star.schema(), Files.readString(file), scripts);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            for (String index : StarSchemaDdl.ruleIndexes(star).values()) {
                s.execute(index);
            }
        }
        return new TestWarehouse(definition, star, scripts.stream().map(MigrationScript::version).toList());
    }

    /**
     * Migrates the control schema of the warehouse behind {@code dataSource}, records {@code definitionText} as
     * deployment {@link #VERSION} of {@code pipeline}, and runs each script's up migration in schema {@code schema},
     * one transaction each.
     */
    public static void migrate(DataSource dataSource, String pipeline, String schema, String definitionText,
            List<MigrationScript> scripts) throws SQLException {
        ControlSchema.of(dataSource).migrate();
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO lockstep.deployments (pipeline, version, "
                    + "checksum, definition) VALUES (?, ?, ?, ?)")) {
                ps.setString(1, pipeline);
                ps.setInt(2, VERSION);
                ps.setString(3, "test");
                ps.setString(4, definitionText);
                ps.executeUpdate();
            }
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                for (MigrationScript script : scripts) {
                    s.execute("CREATE SCHEMA IF NOT EXISTS " + SqlIdentifiers.quote(schema));
                    s.execute("SET LOCAL search_path TO " + SqlIdentifiers.quote(schema));
                    s.execute(script.up());
                    c.commit();
                }
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** Returns the source tables this warehouse loads. */
    public Map<TableId, SourceTable> tables() {
        return star.sources();
    }

    /** Applies everything on the changes topic, as one applier run, into {@code warehouse}. */
    public static void applyAll(ServicesExtension services, String warehouse, String pipeline, StarSchema star,
            KafkaSchemaStore store) throws Exception {
        applyAll(services, warehouse, services.user(), pipeline, star, store);
    }

    /**
     * Applies everything on {@code pipeline}'s changes topic with {@code star}, as one applier run of the warehouse
     * role {@code user}, until the applier has caught up with the topic's end; asserts the applier's session keeps no
     * rows in its work tables after its last commit, and returns whether it checked the facts' foreign keys.
     */
    public static boolean applyAll(ServicesExtension services, String warehouse, String user, String pipeline,
            StarSchema star, KafkaSchemaStore store) throws Exception {
        return applyAll(services, warehouse, user, pipeline, star, store, VERSION);
    }

    /** As {@link #applyAll(ServicesExtension, String, String, String, StarSchema, KafkaSchemaStore)}, loading as definition version {@code version}. */
    public static boolean applyAll(ServicesExtension services, String warehouse, String user, String pipeline,
            StarSchema star, KafkaSchemaStore store, int version) throws Exception {
        long end = ChangeEnvelopes.endOffset(services.bootstrapServers(), pipeline);
        try (Connection c = DriverManager.getConnection(services.jdbcUrl(warehouse), user, services.password())) {
            WarehouseApplier applier = WarehouseApplier.open(c, pipeline, star.schema(), star.sources(), version,
                    5_000, Optional.of(star));
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

    /**
     * Runs the references rules at an applier's control point, as the apply stage does while the stream is quiet,
     * until {@code done} (checked after each run) holds.
     */
    public static void checkReferencesUntil(ServicesExtension services, String warehouse, String pipeline,
            StarSchema star, Callable<Boolean> done) throws Exception {
        try (Connection c = services.connect(warehouse)) {
            WarehouseApplier applier = WarehouseApplier.open(c, pipeline, star.schema(), star.sources(), VERSION,
                    5_000, Optional.of(star));
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
                applier.checkReferences(Duration.ZERO);
                return done.call();
            });
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

    /** A source catalog that knows {@code tables} only, on a server with logical decoding. */
    private static SourceCatalog catalog(Map<TableId, SourceTable> tables) {
        return new SourceCatalog() {
            @Override
            public Map<TableId, SourceTable> describe(Collection<TableId> ids) {
                return ids.stream().filter(tables::containsKey).collect(Collectors.toMap(id -> id, tables::get,
                        (a, b) -> a, LinkedHashMap::new));
            }

            @Override
            public String walLevel() {
                return "logical";
            }

            @Override
            public String describeDatabase() {
                return "the test's source tables";
            }

            @Override
            public void close() {}
        };
    }

    /** Returns a data source for {@code warehouse}, as the CLI's deployment makes it. */
    public static DataSource dataSource(PostgresConnection warehouse) {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(warehouse.jdbcUrl());
        dataSource.setUser(warehouse.user());
        warehouse.password().map(Secret::reveal).ifPresent(dataSource::setPassword);
        return dataSource;
    }
}
