package dev.lockstep.runtime;

import dev.lockstep.connectors.PostgresSourceCatalog;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Secret;
import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.core.definition.WarehousePostgres;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.control.ControlSchema;
import dev.lockstep.migrations.Deployments;
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
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a pipeline's warehouse up to its definition: checks the definition against both databases (as
 * {@code lockstep validate --connect} does), builds the star schema with PostgreSQL's types, and applies the
 * control schema and the generated migrations (raw layer, star schema) through Flyway — stored the first time,
 * never regenerated.
 */
public record WarehouseDeployment(PipelineDefinition definition, Map<TableId, SourceTable> tables, StarSchema star,
        WarehouseMigrations.Result migrations, int version, DefinitionText text) {

    private static final Logger LOG = LoggerFactory.getLogger(WarehouseDeployment.class);

    /** The definition version of a pipeline's first deployment ({@code run}, {@code apply} or {@code deploy}). */
    public static final int VERSION = 1;

    /**
     * Validates {@code file} against its databases and builds its star schema, without migrating anything: for the
     * commands that only read (status, reconcile).
     */
    public static WarehouseDeployment inspect(Path file) {
        PipelineDefinition definition = PipelineFiles.load(file);
        StarSchema star = typed(file, definition, System::getenv);
        return new WarehouseDeployment(definition, star.sources(), star,
                new WarehouseMigrations.Result(List.of(), List.of(), List.of()), VERSION, DefinitionText.read(file));
    }

    private static StarSchema typed(Path file, PipelineDefinition definition, Function<String, String> environment) {
        return typed(DefinitionParser.create().withEnvironment(environment).parse(file), definition);
    }

    private static StarSchema typed(ParsedDefinition parsed, PipelineDefinition definition) {
        try (PostgresSourceCatalog catalog = PostgresSourceCatalog.connect(definition.source().postgres());
                PostgresExpressionTypeChecker checker = PostgresExpressionTypeChecker.connect(
                        definition.warehouse().postgres())) {
            return StarSchema.typed(parsed, catalog, checker);
        }
    }

    /**
     * Validates {@code file} against its databases and migrates its warehouse: a first deployment is version 1, the
     * definition deployed last is loaded as it stands; a changed definition, or a deployment of it still under way,
     * is refused ({@code lockstep deploy} deploys it).
     */
    public static WarehouseDeployment deploy(Path file) {
        return deploy(file, System::getenv);
    }

    /** As {@link #deploy(Path)}, interpolating {@code ${VAR}} from {@code environment}. */
    public static WarehouseDeployment deploy(Path file, Function<String, String> environment) {
        PipelineDefinition definition = PipelineFiles.load(file, environment);
        StarSchema star = typed(file, definition, environment);
        String text = read(file);
        PGSimpleDataSource dataSource = dataSource(definition.warehouse().postgres());
        Optional<WarehouseMigrations.Deployed> latest = WarehouseMigrations.latestDeployment(dataSource,
                definition.pipeline());
        if (latest.isPresent() && latest.get().version() > VERSION) {
            return deployed(file, definition, star, DefinitionText.read(file, environment), latest.get());
        }
        WarehouseMigrations migrations = WarehouseMigrations.builder().dataSource(dataSource)
                .pipeline(definition.pipeline()).warehouseSchema(definition.warehouse().schema())
                .deployment(WarehouseMigrations.Deployment.of(VERSION, text)).build();
        List<MigrationScript> scripts = StarSchemaDdl.migrations(star);
        WarehouseMigrations.Check check = migrations.check(scripts);
        boolean changed = check.deployedDefinition().filter(deployed -> !deployed.equals(text)).isPresent();
        if (changed) {
            throw changed(file, definition, check.deployedDefinition().orElseThrow(), VERSION, text);
        }
        if (!check.differing().isEmpty()) {
            throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "the warehouse of pipeline " + definition.pipeline()
                    + " was built from other source columns, or by a Lockstep build that generated other DDL (see "
                    + "README, \"Upgrading\"): warehouse migration(s) V" + check.differing() + " would differ "
                    + "today, so nothing was started or changed.");
        }
        WarehouseMigrations.Result result = migrations.apply(scripts);
        ensureRuleIndexes(definition, star);
        return new WarehouseDeployment(definition, star.sources(), star, result, VERSION,
                DefinitionText.read(file, environment));
    }

    /**
     * The definition deployed last as a later version: its migrations were applied by {@code lockstep deploy}. While
     * its deployment is under way before the switch, the pipeline runs the version before it (from the control
     * schema's text; the file may be either) and its applier carries the deployment on between batches.
     */
    private static WarehouseDeployment deployed(Path file, PipelineDefinition definition, StarSchema star,
            DefinitionText read, WarehouseMigrations.Deployed latest) {
        String text = read.text();
        ControlSchema.of(dataSource(definition.warehouse().postgres())).migrate();
        if (latest.state().switched()) {
            if (!latest.definition().equals(text)) {
                throw changed(file, definition, latest.definition(), latest.version(), text);
            }
            return new WarehouseDeployment(definition, star.sources(), star,
                    new WarehouseMigrations.Result(List.of(), List.of(), List.of()), latest.version(), read);
        }
        Deployments deployments = new Deployments(dataSource(definition.warehouse().postgres()),
                definition.pipeline());
        WarehouseMigrations.Deployed before = deployments.switchedBefore(latest.version());
        if (!latest.definition().equals(text) && !before.definition().equals(text)) {
            throw changed(file, definition, latest.definition(), latest.version(), text);
        }
        DefinitionText running = read.other("deployed version " + before.version(), before.definition());
        PipelineDefinition runningDefinition = running.load();
        StarSchema runningStar = typed(running.parse(), runningDefinition);
        LOG.info("pipeline '{}': the deployment of version {} is {}; loading with version {} until it switches",
                definition.pipeline(), latest.version(), latest.state().sql(), before.version());
        return new WarehouseDeployment(runningDefinition, runningStar.sources(), runningStar,
                new WarehouseMigrations.Result(List.of(), List.of(), List.of()), before.version(), read);
    }

    private static LockstepException changed(Path file, PipelineDefinition definition, String deployed, int version,
            String text) {
        return new LockstepException(ErrorCode.PIPELINE_STOPPED, "the definition of pipeline "
                + definition.pipeline() + " changed since version " + version + " was deployed, so nothing was "
                + "started or changed: `lockstep plan " + file + "` shows what deploying it does and `lockstep deploy "
                + file + "` deploys it (`--dry-run` tries it first); or restore the deployed definition.\n"
                + "What changed since it was deployed:\n" + DefinitionDiff.of(deployed, text, file.toString()));
    }

    /**
     * Creates the indexes the definition's quality rules probe that are missing, and drops those no rule needs any
     * more ({@link StarSchemaDdl#ruleIndexes}): rules change without a warehouse migration.
     */
    static void ensureRuleIndexes(PipelineDefinition definition, StarSchema star) {
        try (Connection c = dataSource(definition.warehouse().postgres()).getConnection()) {
            ensureRuleIndexes(c, star);
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot create the indexes of the quality rules of "
                    + "pipeline " + definition.pipeline() + " in its warehouse: " + e.getMessage(), e);
        }
    }

    /** As above, on {@code c} (in its transaction, if it is in one). */
    static void ensureRuleIndexes(Connection c, StarSchema star) throws SQLException {
        Map<String, String> wanted = StarSchemaDdl.ruleIndexes(star);
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
        try (Statement s = c.createStatement()) {
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
