package dev.lockstep.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.migrations.WarehouseMigrations;
import dev.lockstep.warehouse.raw.MigrationScript;
import dev.lockstep.warehouse.star.StarSchemaDdl;
import dev.lockstep.warehouse.testing.TestStar;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.CoreMigrationType;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated migrations are real Flyway migrations: Flyway lists them, a second deployment is a no-op, and each down
 * script reverts its up script (on a scratch warehouse). The warehouse is built by the real deployment of the test
 * star schema ({@code TestStar}, {@code definitions/test-star.yaml}); the scratch warehouse is another database with
 * the same schema.
 */
class GeneratedMigrationsIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "gmshop";
    static final String SCHEMA = "gm_dw";
    static final String RAW_SCHEMA = SCHEMA + "_raw";
    static final List<String> STAR_TABLES = List.of("dim_customer", "dim_date", "dim_product", "fact_order",
            "fact_order_line");

    private static final Pattern INDEX = Pattern.compile("CREATE (UNIQUE )?INDEX|PRIMARY KEY \\(");
    private static final Pattern COLUMN_COMMENT = Pattern.compile("(?m)^COMMENT ON COLUMN \"" + SCHEMA
            + "\"\\.\"([^\"]+)\"\\.(?:\"([^\"]+)\"|(\\w+)) IS '");
    private static final Pattern TABLE_COMMENT = Pattern.compile("(?m)^COMMENT ON TABLE \"" + SCHEMA
            + "\"\\.\"([^\"]+)\" IS '");

    @TempDir
    static Path dir;
    static Path definition;
    static WarehouseDeployment deployment;
    static List<MigrationScript> generated;

    @BeforeAll
    static void deploy() throws Exception {
        TestStar.createSourceTables(services, "gmsrc");
        services.database("gmdw");
        definition = TestStar.definition(dir, services, PIPELINE, "gmsrc", "gmdw", SCHEMA);
        deployment = WarehouseDeployment.deploy(definition);
        assertThat(deployment.applied()).containsExactly(1, 2);
        generated = StarSchemaDdl.migrations(deployment.star());
    }

    @Test
    void shouldListGeneratedMigrationsInFlyway() throws Exception {
        Flyway flyway = flywayReadingStoredScripts();

        flyway.validate();

        assertThat(sqlMigrations(flyway.info().all())).extracting(m -> m.getVersion().getVersion(),
                MigrationInfo::getDescription, MigrationInfo::getScript, MigrationInfo::getState,
                MigrationInfo::isChecksumMatching).containsExactly(
                tuple("1", "raw layer", "V1__raw_layer.sql", MigrationState.SUCCESS, true),
                tuple("2", "star schema", "V2__star_schema.sql", MigrationState.SUCCESS, true));
        assertThat(flyway.info().pending()).isEmpty();
        assertThat(flyway.info().current().getVersion().getVersion()).isEqualTo("2");

        assertThat(dw("SELECT version || ':' || description || ':' || phase || ':' || definition_version || ':' "
                + "|| (applied_at IS NOT NULL) || ':' || checksum FROM lockstep.warehouse_migrations "
                + "WHERE pipeline = '" + PIPELINE + "' ORDER BY version")).containsExactly(
                "1:raw_layer:expand:" + WarehouseDeployment.VERSION + ":true:" + sha256(generated.get(0).up()),
                "2:star_schema:expand:" + WarehouseDeployment.VERSION + ":true:" + sha256(generated.get(1).up()));
        assertThat(dw("SELECT up_script FROM lockstep.warehouse_migrations WHERE pipeline = '" + PIPELINE
                + "' ORDER BY version")).containsExactly(generated.get(0).up(), generated.get(1).up());
        assertThat(dw("SELECT down_script FROM lockstep.warehouse_migrations WHERE pipeline = '" + PIPELINE
                + "' ORDER BY version")).containsExactly(generated.get(0).down(), generated.get(1).down());
        assertThat(dw("SELECT version || ':' || checksum FROM lockstep.deployments WHERE pipeline = '" + PIPELINE
                + "'")).containsExactly(WarehouseDeployment.VERSION + ":" + sha256(Files.readString(definition)));
    }

    @Test
    void shouldChangeNothingWhenDeployedAgain() throws Exception {
        String history = "SELECT installed_rank || ':' || coalesce(version, '-') || ':' || description || ':' "
                + "|| coalesce(checksum::text, '-') || ':' || installed_on || ':' || success "
                + "FROM " + SCHEMA + ".flyway_schema_history ORDER BY installed_rank";
        String stored = "SELECT version || ':' || checksum || ':' || generated_at || ':' || applied_at "
                + "FROM lockstep.warehouse_migrations WHERE pipeline = '" + PIPELINE + "' ORDER BY version";
        List<String> historyBefore = dw(history);
        List<String> storedBefore = dw(stored);
        List<String> catalogBefore = catalog("gmdw");
        List<String> rowsBefore = rowCounts("gmdw");

        WarehouseDeployment again = WarehouseDeployment.deploy(definition);

        assertThat(again.applied()).isEmpty();
        assertThat(again.migrations()).isEqualTo(new WarehouseMigrations.Result(List.of(), List.of(1, 2), List.of()));
        assertThat(dw(history)).hasSizeGreaterThanOrEqualTo(2).isEqualTo(historyBefore);
        assertThat(dw(stored)).isEqualTo(storedBefore);
        assertThat(catalog("gmdw")).isEqualTo(catalogBefore);
        assertThat(rowCounts("gmdw")).isEqualTo(rowsBefore);
        assertThat(flywayReadingStoredScripts().migrate().migrationsExecuted)
                .as("Flyway itself finds nothing pending").isZero();
        assertThat(dw(history)).isEqualTo(historyBefore);
    }

    @Test
    void shouldRevertEachDownScriptOnScratchSchema() throws Exception {
        Path file = TestStar.definition(Files.createDirectories(dir.resolve("scratch")), services, PIPELINE,
                "gmsrc", "gmscratch", SCHEMA);
        WarehouseMigrations migrations = migrationsAsDeployed(file);
        assertThat(migrations.apply(List.of()).applied()).isEmpty();
        List<String> empty = catalog("gmscratch");
        assertThat(empty).as("only Flyway's schema, before the first migration").containsExactly("schema " + SCHEMA);

        assertThat(migrations.apply(generated.subList(0, 1)).applied()).containsExactly(1);
        List<String> rawOnly = catalog("gmscratch");
        assertThat(migrations.apply(generated).applied()).containsExactly(2);
        List<String> full = catalog("gmscratch");
        assertThat(rawOnly).anyMatch(line -> line.startsWith("schema " + RAW_SCHEMA + " -- ")).isNotEqualTo(empty);
        assertThat(full).isNotEqualTo(rawOnly).isEqualTo(catalog("gmdw"));

        migrations.revert(2);
        assertThat(catalog("gmscratch")).isEqualTo(rawOnly);
        assertThat(states(migrations)).containsExactly(MigrationState.SUCCESS, MigrationState.PENDING);

        migrations.revert(1);
        assertThat(catalog("gmscratch")).isEqualTo(empty);
        assertThat(services.query("gmscratch", "SELECT nspname FROM pg_namespace WHERE nspname = '" + RAW_SCHEMA
                + "'")).isEmpty();
        assertThat(states(migrations)).containsExactly(MigrationState.PENDING, MigrationState.PENDING);

        assertThat(migrations.apply(generated).applied()).containsExactly(1, 2);
        assertThat(catalog("gmscratch")).isEqualTo(full);
        assertThat(WarehouseDeployment.deploy(file).applied())
                .as("the scratch warehouse holds what deploying its definition generates").isEmpty();
    }

    @Test
    void shouldCommentEveryStarColumnAndSayWhichQueryEachIndexSupports() throws Exception {
        String up = generated.get(1).up();
        String starTables = "c.relnamespace = '" + SCHEMA + "'::regnamespace AND c.relkind IN ('r', 'p') "
                + "AND NOT c.relispartition AND (c.relname LIKE 'dim\\_%' OR c.relname LIKE 'fact\\_%')";
        String starColumns = "FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
                + "AND NOT a.attisdropped WHERE " + starTables;

        assertThat(dw("SELECT c.relname || ':' || (coalesce(obj_description(c.oid, 'pg_class'), '') <> '') "
                + "FROM pg_class c WHERE " + starTables))
                .containsExactlyInAnyOrder(STAR_TABLES.stream().map(t -> t + ":true").toArray(String[]::new));
        assertThat(dw("SELECT c.relname || '.' || a.attname " + starColumns
                + " AND coalesce(col_description(c.oid, a.attnum), '') = ''")).isEmpty();
        List<String> tablesAndPartitions = new java.util.ArrayList<>(STAR_TABLES);
        tablesAndPartitions.add("fact_order_line_default");
        assertThat(commented(TABLE_COMMENT, up)).containsExactlyElementsOf(tablesAndPartitions);
        assertThat(commented(COLUMN_COMMENT, up)).isEqualTo(new TreeSet<>(dw("SELECT c.relname || '.' || a.attname "
                + starColumns)));
        assertThat(dw("SELECT c.relname || '.' || a.attname " + starColumns + " AND col_description(c.oid, a.attnum) "
                + "LIKE 'PII%'")).containsExactly("dim_customer.email");

        for (MigrationScript script : generated) {
            assertThat(indexesWithoutSupports(script.up())).as(script.fileName()).isEmpty();
        }
        assertThat(indexStatements(up)).isEqualTo(Integer.parseInt(dw("SELECT count(*) FROM pg_index i "
                + "JOIN pg_class c ON c.oid = i.indrelid WHERE " + starTables).get(0)));
    }

    /** Builds the warehouse migrations of {@code file} exactly as {@link WarehouseDeployment#deploy} does. */
    private static WarehouseMigrations migrationsAsDeployed(Path file) throws Exception {
        PipelineDefinition definition = PipelineFiles.load(file);
        String text = Files.readString(file, StandardCharsets.UTF_8);
        return WarehouseMigrations.builder()
                .dataSource(WarehouseDeployment.dataSource(definition.warehouse().postgres()))
                .pipeline(definition.pipeline())
                .warehouseSchema(definition.warehouse().schema())
                .deployment(WarehouseDeployment.VERSION, text, sha256(text))
                .build();
    }

    /** A plain Flyway over the warehouse's history, reading the stored up scripts as files, nothing of Lockstep. */
    private static Flyway flywayReadingStoredScripts() throws Exception {
        Path location = Files.createDirectories(dir.resolve("stored-" + System.nanoTime()));
        List<String> names = dw("SELECT 'V' || version || '__' || description || '.sql' "
                + "FROM lockstep.warehouse_migrations WHERE pipeline = '" + PIPELINE + "' ORDER BY version");
        List<String> scripts = dw("SELECT up_script FROM lockstep.warehouse_migrations WHERE pipeline = '"
                + PIPELINE + "' ORDER BY version");
        for (int i = 0; i < names.size(); i++) {
            Files.writeString(location.resolve(names.get(i)), scripts.get(i), StandardCharsets.UTF_8);
        }
        return Flyway.configure()
                .dataSource(services.jdbcUrl("gmdw"), services.user(), services.password())
                .schemas(SCHEMA)
                .table(WarehouseMigrations.HISTORY_TABLE)
                .locations("filesystem:" + location)
                .placeholderReplacement(false)
                .validateMigrationNaming(true)
                .cleanDisabled(true)
                .load();
    }

    private static List<MigrationInfo> sqlMigrations(MigrationInfo[] all) {
        return Arrays.stream(all).filter(m -> m.getType() == CoreMigrationType.SQL).toList();
    }

    private static List<MigrationState> states(WarehouseMigrations migrations) {
        return migrations.info().stream().filter(m -> m.getType() == CoreMigrationType.SQL)
                .map(MigrationInfo::getState).toList();
    }

    /**
     * The warehouse schema and its raw schema as PostgreSQL's catalog describes them, without Flyway's history:
     * schemas, relations (kind, partitioning, comment, grants), columns (type, nullability, identity, default,
     * comment), indexes, constraints, sequences, triggers, functions and types, one line each, sorted.
     */
    private static List<String> catalog(String database) throws Exception {
        return services.query(database, """
                WITH s AS (SELECT oid, nspname FROM pg_namespace WHERE nspname IN ('%1$s', '%1$s_raw')),
                rel AS (SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.relpartbound, c.relacl, s.nspname
                        FROM pg_class c JOIN s ON c.relnamespace = s.oid
                        WHERE c.relname NOT LIKE 'flyway\\_schema\\_history%%')
                SELECT 'schema ' || nspname || coalesce(' -- ' || obj_description(oid, 'pg_namespace'), '') FROM s
                UNION ALL
                SELECT 'relation ' || nspname || '.' || relname || ' ' || relkind::text || relpersistence::text
                    || coalesce(' partition by ' || pg_get_partkeydef(oid), '')
                    || coalesce(' partition of ' || (SELECT inhparent::regclass::text FROM pg_inherits
                        WHERE inhrelid = rel.oid) || ' ' || pg_get_expr(relpartbound, oid), '')
                    || coalesce(' acl ' || relacl::text, '')
                    || coalesce(' -- ' || obj_description(oid, 'pg_class'), '') FROM rel
                UNION ALL
                SELECT 'column ' || r.nspname || '.' || r.relname || '.' || a.attname || ' '
                    || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                    || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
                    || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
                    || coalesce(' -- ' || col_description(r.oid, a.attnum), '')
                FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
                LEFT JOIN pg_attrdef d ON d.adrelid = r.oid AND d.adnum = a.attnum
                WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f')
                UNION ALL
                SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN rel r ON r.oid = i.indrelid
                UNION ALL
                SELECT 'constraint ' || r.nspname || '.' || r.relname || ' ' || c.conname || ' '
                    || pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN rel r ON r.oid = c.conrelid
                UNION ALL
                SELECT 'sequence ' || r.nspname || '.' || r.relname || ' ' || format_type(q.seqtypid, NULL)
                    || ' start ' || q.seqstart || ' increment ' || q.seqincrement
                FROM pg_sequence q JOIN rel r ON r.oid = q.seqrelid
                UNION ALL
                SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid
                WHERE NOT t.tgisinternal
                UNION ALL
                SELECT 'function ' || s.nspname || '.' || p.proname || '('
                    || pg_get_function_identity_arguments(p.oid) || ')' FROM pg_proc p JOIN s ON p.pronamespace = s.oid
                UNION ALL
                SELECT 'type ' || s.nspname || '.' || t.typname || ' ' || t.typtype::text FROM pg_type t
                JOIN s ON t.typnamespace = s.oid WHERE t.typrelid = 0 AND t.typcategory <> 'A'
                ORDER BY 1
                """.formatted(SCHEMA));
    }

    /** The number of rows of every table of the warehouse and raw schemas, as {@code schema.table:count}. */
    private static List<String> rowCounts(String database) throws Exception {
        List<String> counts = new ArrayList<>();
        for (String table : services.query(database, "SELECT schemaname || '.' || tablename FROM pg_tables "
                + "WHERE schemaname IN ('" + SCHEMA + "', '" + RAW_SCHEMA + "') ORDER BY 1")) {
            counts.add(table + ":" + services.query(database, "SELECT count(*) FROM " + table).get(0));
        }
        return counts;
    }

    /** The {@code table} or {@code table.column} names a script comments on, sorted. */
    private static Set<String> commented(Pattern comment, String script) {
        Set<String> names = new TreeSet<>();
        Matcher m = comment.matcher(script);
        while (m.find()) {
            names.add(m.groupCount() == 1 ? m.group(1)
                    : m.group(1) + "." + (m.group(2) != null ? m.group(2) : m.group(3)));
        }
        return names;
    }

    /** The index and primary key lines of {@code script} not preceded by a comment block with a "-- Supports:" line. */
    private static List<String> indexesWithoutSupports(String script) {
        List<String> lines = script.lines().map(String::strip).toList();
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (INDEX.matcher(lines.get(i)).find() && !lines.get(i).startsWith("--")) {
                boolean supported = false;
                for (int j = i - 1; j >= 0 && lines.get(j).startsWith("--"); j--) {
                    supported |= lines.get(j).startsWith("-- Supports:");
                }
                if (!supported) {
                    missing.add(lines.get(i));
                }
            }
        }
        return missing;
    }

    private static int indexStatements(String script) {
        return (int) script.lines().map(String::strip).filter(l -> !l.startsWith("--"))
                .filter(l -> INDEX.matcher(l).find()).count();
    }

    private static List<String> dw(String sql) throws Exception {
        return services.query("gmdw", sql);
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
