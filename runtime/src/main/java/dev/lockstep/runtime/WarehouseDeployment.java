package dev.lockstep.runtime;

import dev.lockstep.connectors.PostgresSourceCatalog;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Secret;
import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.core.definition.WarehousePostgres;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.migrations.WarehouseMigrations;
import dev.lockstep.warehouse.PostgresExpressionTypeChecker;
import dev.lockstep.warehouse.raw.MigrationScript;
import dev.lockstep.warehouse.star.StarSchema;
import dev.lockstep.warehouse.star.StarSchemaDdl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Brings a pipeline's warehouse up to its definition: checks the definition against both databases (as
 * {@code lockstep validate --connect} does), builds the star schema with PostgreSQL's types, and applies the
 * control schema and the generated migrations (raw layer, star schema) through Flyway — stored the first time,
 * never regenerated.
 */
public record WarehouseDeployment(PipelineDefinition definition, Map<TableId, SourceTable> tables, StarSchema star,
        WarehouseMigrations.Result migrations) {

    /** The definition version a pipeline deployed by {@code run} or {@code apply} has (one version until the coordinator lands). */
    public static final int VERSION = 1;

    /**
     * Validates {@code file} against its databases and builds its star schema, without migrating anything: for the
     * commands that only read (status, reconcile).
     */
    public static WarehouseDeployment inspect(Path file) {
        PipelineDefinition definition = PipelineFiles.load(file);
        StarSchema star = typed(file, definition, System::getenv);
        return new WarehouseDeployment(definition, star.sources(), star,
                new WarehouseMigrations.Result(List.of(), List.of(), List.of()));
    }

    private static StarSchema typed(Path file, PipelineDefinition definition, Function<String, String> environment) {
        try (PostgresSourceCatalog catalog = PostgresSourceCatalog.connect(definition.source().postgres());
                PostgresExpressionTypeChecker checker = PostgresExpressionTypeChecker.connect(
                        definition.warehouse().postgres())) {
            return StarSchema.typed(DefinitionParser.create().withEnvironment(environment).parse(file), catalog,
                    checker);
        }
    }

    /** Validates {@code file} against its databases and migrates its warehouse; refuses a changed definition. */
    public static WarehouseDeployment deploy(Path file) {
        return deploy(file, System::getenv);
    }

    /** As {@link #deploy(Path)}, interpolating {@code ${VAR}} from {@code environment}. */
    public static WarehouseDeployment deploy(Path file, Function<String, String> environment) {
        PipelineDefinition definition = PipelineFiles.load(file, environment);
        StarSchema star = typed(file, definition, environment);
        String text = read(file);
        WarehouseMigrations migrations = WarehouseMigrations.builder().dataSource(dataSource(definition.warehouse()
                .postgres())).pipeline(definition.pipeline()).warehouseSchema(definition.warehouse().schema())
                .deployment(WarehouseMigrations.Deployment.of(VERSION, text)).build();
        List<MigrationScript> scripts = StarSchemaDdl.migrations(star);
        WarehouseMigrations.Check check = migrations.check(scripts);
        boolean changed = check.deployedDefinition().filter(deployed -> !deployed.equals(text)).isPresent();
        if (!check.differing().isEmpty()) {
            throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "the warehouse of pipeline " + definition.pipeline()
                    + " was built from " + (changed ? "another definition" : "other source columns, or by a Lockstep "
                    + "build that generated other DDL (see README, \"Upgrading\")") + ": warehouse "
                    + "migration(s) V" + check.differing() + " would differ today, so nothing was started or changed. "
                    + "Deploying a changed definition is not available yet: `lockstep plan " + file + "` shows what "
                    + "it needs and `lockstep deploy " + file + " --dry-run` tries it on the warehouse (rolled back); "
                    + "until then, restore the definition that built the warehouse."
                    + (changed ? "\nWhat changed since it was deployed:\n" + DefinitionDiff.of(check
                            .deployedDefinition().orElseThrow(), text, file.toString()) : ""));
        }
        if (changed) {
            migrations.amendDeployment(); // rules, load settings, comments: no warehouse migration needed
        }
        WarehouseMigrations.Result result = migrations.apply(scripts);
        ensureRuleIndexes(definition, star);
        return new WarehouseDeployment(definition, star.sources(), star, result);
    }

    /**
     * Creates the indexes the definition's quality rules probe that are missing, and drops those no rule needs any
     * more ({@link StarSchemaDdl#ruleIndexes}): rules change without a warehouse migration.
     */
    private static void ensureRuleIndexes(PipelineDefinition definition, StarSchema star) {
        Map<String, String> wanted = StarSchemaDdl.ruleIndexes(star);
        try (Connection c = dataSource(definition.warehouse().postgres()).getConnection();
                Statement s = c.createStatement()) {
            Set<String> existing = new HashSet<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT indexname FROM pg_indexes WHERE schemaname = ? "
                    + "AND starts_with(indexname, ?)")) {
                ps.setString(1, star.schema());
                ps.setString(2, StarSchemaDdl.RULE_INDEX_PREFIX);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        existing.add(rs.getString(1));
                    }
                }
            }
            for (String name : existing) {
                if (!wanted.containsKey(name)) {
                    s.execute("DROP INDEX IF EXISTS " + SqlIdentifiers.quote(star.schema()) + "."
                            + SqlIdentifiers.quote(name));
                }
            }
            for (Map.Entry<String, String> index : wanted.entrySet()) {
                if (!existing.contains(index.getKey())) {
                    s.execute(index.getValue());
                }
            }
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot create the indexes of the quality rules of "
                    + "pipeline " + definition.pipeline() + " in its warehouse: " + e.getMessage(), e);
        }
    }

    /** Returns a data source for the warehouse; the password is read from the definition's secret, never logged. */
    public static PGSimpleDataSource dataSource(WarehousePostgres warehouse) {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(warehouse.jdbcUrl());
        dataSource.setUser(warehouse.user());
        warehouse.password().map(Secret::reveal).ifPresent(dataSource::setPassword);
        return dataSource;
    }

    /** Returns the text of the definition {@code file}; a file that cannot be read is an invalid input. */
    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Returns each dimension and fact loaded from a source table, with that table: dimensions first. */
    public Map<String, TableId> targetSources() {
        Map<String, TableId> targets = new LinkedHashMap<>();
        star.dimensions().forEach(d -> targets.put(d.definition().name(), d.definition().from()));
        star.facts().forEach(f -> targets.put(f.definition().name(), f.definition().from()));
        return targets;
    }

    /** Returns the migrations this deployment applied now, for the user to see. */
    public List<Integer> applied() {
        return migrations.applied();
    }
}
