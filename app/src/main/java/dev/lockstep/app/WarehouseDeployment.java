package dev.lockstep.app;

import dev.lockstep.connectors.PostgresSourceCatalog;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Problem;
import dev.lockstep.core.definition.Secret;
import dev.lockstep.core.definition.WarehousePostgres;
import dev.lockstep.core.definition.connect.ConnectedReport;
import dev.lockstep.core.definition.connect.ConnectedValidator;
import dev.lockstep.core.definition.connect.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.migrations.WarehouseMigrations;
import dev.lockstep.warehouse.PostgresExpressionTypeChecker;
import dev.lockstep.warehouse.star.StarSchema;
import dev.lockstep.warehouse.star.StarSchemaDdl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Brings a pipeline's warehouse up to its definition: checks the definition against both databases (as
 * {@code lockstep validate --connect} does), builds the star schema with PostgreSQL's types, and applies the
 * control schema and the generated migrations (raw layer, star schema) through Flyway — stored the first time,
 * never regenerated.
 */
record WarehouseDeployment(PipelineDefinition definition, Map<TableId, SourceTable> tables, StarSchema star,
        WarehouseMigrations.Result migrations) {

    /** The definition version a pipeline deployed by {@code run} or {@code apply} has (one version until the coordinator lands). */
    static final int VERSION = 1;

    /** Validates {@code file} against its databases and migrates its warehouse; refuses a changed definition. */
    static WarehouseDeployment deploy(Path file) {
        ParsedDefinition parsed = DefinitionParser.create().parse(file);
        PipelineDefinition definition = PipelineFiles.load(file);
        ConnectedReport report;
        Map<TableId, SourceTable> tables;
        try (PostgresSourceCatalog catalog = PostgresSourceCatalog.connect(definition.source().postgres());
                PostgresExpressionTypeChecker checker = PostgresExpressionTypeChecker.connect(
                        definition.warehouse().postgres())) {
            report = ConnectedValidator.validate(parsed, catalog, checker);
            tables = catalog.describe(definition.source().tables());
        }
        if (!report.isValid()) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "the definition does not fit its databases:\n"
                    + report.problems().stream().filter(Problem::isError).map(Problem::format)
                    .collect(Collectors.joining("\n")));
        }
        StarSchema star = StarSchema.of(definition, tables, report.columns());
        String text = read(file);
        WarehouseMigrations.Result result = WarehouseMigrations.builder().dataSource(dataSource(definition.warehouse()
                .postgres())).pipeline(definition.pipeline()).warehouseSchema(definition.warehouse().schema())
                .deployment(VERSION, text, sha256(text)).build().apply(StarSchemaDdl.migrations(star));
        if (!result.differing().isEmpty()) {
            throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "the warehouse of pipeline " + definition.pipeline()
                    + " was built from another definition or other source columns: migration(s) V" + result.differing()
                    + " would differ today. Deploying a changed definition is the migration coordinator's job, "
                    + "which has not landed yet; restore the definition that built the warehouse");
        }
        return new WarehouseDeployment(definition, tables, star, result);
    }

    /** Returns a data source for the warehouse; the password is read from the definition's secret, never logged. */
    static PGSimpleDataSource dataSource(WarehousePostgres warehouse) {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(warehouse.jdbcUrl());
        dataSource.setUser(warehouse.user());
        warehouse.password().map(Secret::reveal).ifPresent(dataSource::setPassword);
        return dataSource;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "cannot read " + file + ": " + e.getMessage());
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns the migrations this deployment applied now, for the user to see. */
    List<Integer> applied() {
        return migrations.applied();
    }
}
