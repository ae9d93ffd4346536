package dev.lockstep.runtime;

import dev.lockstep.connectors.PostgresSourceCatalog;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.migrations.Deployments;
import dev.lockstep.migrations.WarehouseMigrations;
import dev.lockstep.migrations.lint.LintContext;
import dev.lockstep.migrations.lint.LintReport;
import dev.lockstep.migrations.lint.MigrationLint;
import dev.lockstep.migrations.lint.Overrides;
import dev.lockstep.migrations.lint.Script;
import dev.lockstep.migrations.plan.DefinitionDiff;
import dev.lockstep.migrations.plan.Diff;
import dev.lockstep.migrations.plan.HandWrittenMigration;
import dev.lockstep.migrations.plan.MigrationPlan;
import dev.lockstep.migrations.plan.Operation;
import dev.lockstep.warehouse.PostgresExpressionTypeChecker;
import dev.lockstep.warehouse.raw.MigrationScript;
import dev.lockstep.warehouse.star.StarSchema;
import dev.lockstep.warehouse.star.StarSchemaDdl;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * What deploying a definition file would do to its pipeline's warehouse ({@code lockstep plan}): the typed operations
 * from the deployed version, the DDL of each phase with its down scripts, the rows to rebuild and the lint findings
 * of every generated statement. Building it reads the source's catalog and the warehouse, and writes nothing.
 *
 * @param deployed the newest version deployed, empty before the first deployment
 * @param diff the operations from the deployed version (empty before the first deployment)
 * @param migrations the DDL of a changed definition
 * @param firstDeployment the generated migrations a first deployment applies (empty once deployed)
 * @param scripts what was linted, named as their next Flyway versions
 * @param rows the rows of each table of the warehouse's schemas ({@code schema.table}; planner estimates)
 * @param handWritten the definition's hand-written migrations ({@code warehouse.migrations}) not deployed yet,
 *     after the undoing of those a rollback takes back
 * @param dependents the user's objects built on what the plan drops or changes the type of, which no hand-written
 *     migration of the deployment drops
 * @param star the new definition's star schema, typed by the source's catalog and the warehouse
 */
public record DeploymentPlan(PipelineDefinition definition, Optional<WarehouseMigrations.Deployed> deployed,
        Diff diff, MigrationPlan migrations, List<MigrationScript> firstDeployment, List<HandWrittenMigration>
        handWritten, List<Script> scripts, LintReport lint, Map<String, Long> rows, List<Dependent> dependents,
        StarSchema star) {

    /** A view, materialized view or row-level policy ({@code kind}) built on a table or column the plan breaks. */
    public record Dependent(String object, String kind, MigrationPlan.Breaking on) {}

    /** Plans deploying {@code file}, reading variables from the environment. */
    public static DeploymentPlan of(Path file) {
        return of(file, Overrides.none());
    }

    /**
     * Plans deploying {@code file}, reading variables from the environment; the lint rules {@code overrides} allows
     * (each with its reason) report their findings as allowed, not as blocking.
     */
    public static DeploymentPlan of(Path file, Overrides overrides) {
        return of(file, overrides, OptionalInt.empty());
    }

    /**
     * Plans deploying {@code file} over definition version {@code base} (the newest deployed when empty): a deploy
     * resuming version {@code base + 1} plans again over the version before it.
     */
    public static DeploymentPlan of(Path file, Overrides overrides, OptionalInt base) {
        return of(DefinitionText.read(file), overrides, base);
    }

    /** Plans deploying the definition {@code text} over definition version {@code base} (the newest when empty). */
    public static DeploymentPlan of(DefinitionText text, Overrides overrides, OptionalInt base) {
        return of(text, overrides, base, List.of());
    }

    /**
     * Plans deploying the definition {@code text} over definition version {@code base} (the newest when empty),
     * running {@code undo} first among its hand-written migrations: a rollback's undoing of the hand-written
     * migrations the versions it rolls back applied (a folder migration of {@code text} that one of them undoes is
     * not run again).
     */
    public static DeploymentPlan of(DefinitionText text, Overrides overrides, OptionalInt base,
            List<HandWrittenMigration> undo) {
        PipelineDefinition next = text.load();
        String nextText = text.text();
        DataSource warehouse = WarehouseDeployment.dataSource(next.warehouse().postgres());
        Deployments deployments = new Deployments(warehouse, next.pipeline());
        Optional<WarehouseMigrations.Deployed> deployed = base.isPresent() ? deployments.version(base.getAsInt())
                : deployments.latest();
        DefinitionParser parser = DefinitionParser.create().withEnvironment(text.environment());
        Set<String> deployedHandWritten = deployments.deployedHandWritten();
        List<HandWrittenMigration> handWritten = new ArrayList<>(undo);
        next.warehouse().migrations().map(HandWrittenMigration::read).orElse(List.of()).stream()
                .filter(m -> !deployedHandWritten.contains(m.storedDescription()))
                .filter(m -> undo.stream().noneMatch(u -> HandWrittenMigration.undoneBy(u.storedDescription())
                        .filter(m.storedDescription()::equals).isPresent()))
                .forEach(handWritten::add);
        try (PostgresSourceCatalog catalog = PostgresSourceCatalog.connect(next.source().postgres());
                PostgresExpressionTypeChecker checker = PostgresExpressionTypeChecker.connect(
                        next.warehouse().postgres())) {
            StarSchema nextStar = StarSchema.typed(text.parse(), catalog, checker);
            Map<String, Long> rows = rows(warehouse, nextStar.schema());
            LintContext context = LintContext.empty().withDefaultSchema(nextStar.schema()).withTableRows(rows)
                    .withApplierTables(rows.keySet());
            if (deployed.isEmpty()) {
                List<MigrationScript> first = StarSchemaDdl.migrations(nextStar);
                List<Script> scripts = new ArrayList<>(first.stream().map(m -> Script.generated("V" + m.version()
                        + "__" + m.description() + ".sql", m.up(), Script.Phase.EXPAND)).toList());
                MigrationPlan none = MigrationPlan.of(new Diff(List.of()), nextStar, nextStar);
                scripts.addAll(none.scripts(first.size() + 1, handWritten));
                return new DeploymentPlan(next, deployed, new Diff(List.of()), none, first, handWritten, scripts,
                        MigrationLint.lint(scripts, context, overrides), rows, List.of(), nextStar);
            }
            String name = "deployed version " + deployed.get().version();
            // Relative references (a password file) resolve as the new file's do: the deployed text has no file.
            Path directory = text.directory();
            ParsedDefinition parsed = parser.parse(name, deployed.get().definition(), directory);
            PipelineDefinition before = parsed.definition().orElseThrow(() -> new LockstepException(
                    ErrorCode.INVALID_INPUT, "the " + name + " of pipeline " + next.pipeline() + " no longer parses "
                    + "(a variable it uses is unset?): " + parsed.errors()));
            StarSchema deployedStar = StarSchema.typed(parsed, catalog, checker);
            Diff diff = DefinitionDiff.between(before, next).withColumnTypes(deployedStar, nextStar)
                    .withTexts(deployed.get().definition(), nextText);
            MigrationPlan migrations = MigrationPlan.of(diff, deployedStar, nextStar);
            List<Script> scripts = migrations.scripts(deployed.get().lastMigration() + 1, handWritten);
            List<Dependent> dependents = dependents(warehouse, migrations.breaking()).stream()
                    .filter(d -> handWritten.stream().noneMatch(m -> m.drops(d.object(), d.kind()))).toList();
            return new DeploymentPlan(next, deployed, diff, migrations, List.of(), handWritten, scripts,
                    MigrationLint.lint(scripts, context, overrides), rows, dependents, nextStar);
        }
    }

    /** Returns true when the plan changes nothing: the file is the deployed definition, or differs only in text. */
    public boolean unchanged() {
        return deployed.isPresent() && migrations.isEmpty() && handWritten.isEmpty() && diff.operations().stream()
                .allMatch(o -> o.kind() == Operation.Kind.COMMENT_ONLY);
    }

    /**
     * Returns true when deploying it would be refused: a refused operation, a lint error not allowed, or a user's
     * object built on what it drops or retypes (no hand-written migration can handle it yet).
     */
    public boolean refused() {
        return !diff.refused().isEmpty() || lint.blocksDeploy() || !dependents.isEmpty();
    }

    /**
     * Returns the views, materialized views and policies of the warehouse that depend on a table or column in
     * {@code breaking} (from {@code pg_depend}: a view's rewrite rule, a policy's expressions).
     */
    private static List<Dependent> dependents(DataSource warehouse, List<MigrationPlan.Breaking> breaking) {
        List<Dependent> dependents = new ArrayList<>();
        if (breaking.isEmpty()) {
            return dependents;
        }
        try (Connection c = warehouse.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT DISTINCT o.object, o.kind FROM pg_depend d "
                        + "JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace "
                        + "LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
                        + "JOIN LATERAL (SELECT quote_ident(vn.nspname) || '.' || quote_ident(v.relname) AS object, "
                        + "CASE v.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END AS kind FROM pg_rewrite r "
                        + "JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace "
                        + "WHERE d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid AND v.oid <> t.oid "
                        + "UNION ALL SELECT quote_ident(p.polname) || ' on ' || quote_ident(tn.nspname) "
                        + "|| '.' || quote_ident(t.relname), 'policy' FROM pg_policy p "
                        + "WHERE d.classid = 'pg_policy'::regclass AND p.oid = d.objid) o ON true "
                        + "WHERE d.refclassid = 'pg_class'::regclass AND tn.nspname = ? AND t.relname = ? "
                        + "AND (?::text IS NULL OR a.attname = ?) ORDER BY 1")) {
            c.setReadOnly(true);
            for (MigrationPlan.Breaking on : breaking) {
                ps.setString(1, on.schema());
                ps.setString(2, on.table());
                ps.setString(3, on.column().orElse(null));
                ps.setString(4, on.column().orElse(null));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        dependents.add(new Dependent(rs.getString(1), rs.getString(2), on));
                    }
                }
            }
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot read what depends on the warehouse's tables: "
                    + e.getMessage(), e);
        }
        return dependents;
    }

    /**
     * The rows of every table of the star schema {@code schema} and its raw layer, as the planner estimates them
     * ({@code pg_class.reltuples}; counted when a table was never analyzed).
     */
    private static Map<String, Long> rows(DataSource warehouse, String schema) {
        Map<String, Long> rows = new TreeMap<>();
        try (Connection c = warehouse.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT n.nspname, c.relname, c.reltuples::bigint FROM "
                        + "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN (?, ?) AND "
                        + "c.relkind IN ('r', 'p') AND NOT c.relispartition")) {
            c.setReadOnly(true);
            ps.setString(1, schema);
            ps.setString(2, schema + "_raw");
            List<String[]> unanalyzed = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getLong(3) >= 0) {
                        rows.put(rs.getString(1) + "." + rs.getString(2), rs.getLong(3));
                    } else {
                        unanalyzed.add(new String[] {rs.getString(1), rs.getString(2)});
                    }
                }
            }
            for (String[] table : unanalyzed) {
                try (PreparedStatement count = c.prepareStatement("SELECT count(*) FROM "
                        + SqlIdentifiers.quote(table[0]) + "."
                        + SqlIdentifiers.quote(table[1]));
                        ResultSet rs = count.executeQuery()) {
                    rs.next();
                    rows.put(table[0] + "." + table[1], rs.getLong(1));
                }
            }
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot read the warehouse's table sizes: "
                    + e.getMessage(), e);
        }
        return rows;
    }
}
