package dev.lockstep.benchmarks;

import dev.lockstep.connectors.PostgresSourceCatalog;
import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Problem;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.migrations.WarehouseMigrations;
import dev.lockstep.shop.ShopSchema;
import dev.lockstep.warehouse.PostgresExpressionTypeChecker;
import dev.lockstep.warehouse.raw.MigrationScript;
import dev.lockstep.warehouse.star.StarSchema;
import dev.lockstep.warehouse.star.StarSchemaDdl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The benchmark's warehouse, built as {@code lockstep apply} builds it (the app's {@code WarehouseDeployment}):
 * the definition checked against both databases, the star schema typed by PostgreSQL, the generated migrations
 * applied through Flyway — into any number of warehouse databases, with or without the star schema.
 */
record ShopWarehouse(PipelineDefinition definition, String text, Map<TableId, SourceTable> tables, StarSchema star) {

    static final int VERSION = 1;

    /** The shop's source tables. */
    static final List<TableId> TABLES = ShopSchema.TABLES.stream().map(TableId::parse).toList();

    /** Parses {@code file} and checks it against its source and warehouse databases. */
    static ShopWarehouse of(Path file) throws IOException {
        ParsedDefinition parsed = DefinitionParser.create().parse(file);
        PipelineDefinition definition = parsed.definition().orElseThrow(() -> new IllegalStateException(
                "invalid definition:\n" + parsed.errors().stream().map(Problem::format)
                        .collect(Collectors.joining("\n"))));
        StarSchema star;
        try (PostgresSourceCatalog catalog = PostgresSourceCatalog.connect(definition.source().postgres());
                PostgresExpressionTypeChecker checker = PostgresExpressionTypeChecker.connect(
                        definition.warehouse().postgres())) {
            star = StarSchema.typed(parsed, catalog, checker);
        }
        return new ShopWarehouse(definition, Files.readString(file, StandardCharsets.UTF_8), star.sources(), star);
    }

    /** Migrates the warehouse database at {@code jdbcUrl}: the raw layer (V1), and the star schema if {@code full}. */
    void migrate(String jdbcUrl, String user, boolean full) {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(jdbcUrl);
        dataSource.setUser(user);
        List<MigrationScript> all = StarSchemaDdl.migrations(star);
        WarehouseMigrations.builder().dataSource(dataSource).pipeline(definition.pipeline())
                .warehouseSchema(definition.warehouse().schema()).deployment(WarehouseMigrations.Deployment.of(VERSION, text)).build()
                .apply(full ? all : List.of(all.get(0)));
    }

    String schema() {
        return definition.warehouse().schema();
    }
}
