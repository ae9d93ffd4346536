package dev.lockstep.migrations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.live.ReplicaIdentity;
import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceColumn.Kind;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.warehouse.raw.MigrationScript;
import dev.lockstep.warehouse.raw.RawLayerDdl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.CoreMigrationType;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.exception.FlywayValidateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.LoggerFactory;

/**
 * Generated warehouse migrations are stored once in the control schema and applied by Flyway from the stored
 * text: Flyway lists them, a second apply changes nothing, a regenerated script never replaces the stored one, and
 * each down script reverts its up script. Every test uses its own pipeline and warehouse schema.
 */
class WarehouseMigrationsIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    private static final String DB = "warehouse";
    private static final String DEFINITION = "pipeline: shop\n";
    private static final String DEFINITION_CHECKSUM = StoredMigrations.sha256(DEFINITION);

    private static final SourceTable CUSTOMERS = table("public", "customers", List.of("id"),
            column("id", "bigint", true), column("name", "text", true), column("email", "text", false),
            column("created_at", "timestamp with time zone", false));
    private static final SourceTable ORDER_ITEMS = table("sales", "order_items", List.of("order_id", "line_no"),
            column("order_id", "bigint", true), column("line_no", "integer", true),
            column("unit_price", "numeric(10,2)", false),
            new SourceColumn("status", "sales.order_status", Kind.ENUM, "sales.order_status", false),
            new SourceColumn("quantity", "sales.positive_int", Kind.DOMAIN, "integer", false),
            new SourceColumn("tags", "sales.order_status[]", Kind.ARRAY, "text[]", false),
            new SourceColumn("valid", "tstzrange", Kind.RANGE, "tstzrange", false));

    @TempDir
    Path dir;

    @Test
    void shouldApplyTheRawLayerAsAFlywayMigration() throws SQLException {
        MigrationScript raw = RawLayerDdl.create("shop_dw", List.of(CUSTOMERS, ORDER_ITEMS), 1);

        WarehouseMigrations.Result result = migrations("shop", "shop_dw").apply(List.of(raw));

        assertThat(result).isEqualTo(new WarehouseMigrations.Result(List.of(1), List.of(), List.of()));
        List<MigrationInfo> sql = sqlMigrations(migrations("shop", "shop_dw").info());
        assertThat(sql).extracting(m -> m.getVersion().getVersion(), MigrationInfo::getScript, MigrationInfo::getState)
                .containsExactly(tuple("1", "V1__raw_layer.sql", MigrationState.SUCCESS));
        assertThat(strings("SELECT version || ':' || script || ':' || success FROM shop_dw.flyway_schema_history "
                + "WHERE type = 'SQL'")).containsExactly("1:V1__raw_layer.sql:true");

        assertThat(strings("SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || "
                + "CASE WHEN a.attnotnull THEN ' not null' ELSE '' END FROM pg_attribute a "
                + "WHERE a.attrelid = 'shop_dw_raw.customers'::regclass AND a.attnum > 0 AND NOT a.attisdropped "
                + "ORDER BY a.attnum")).containsExactly("id bigint not null", "name text", "email text",
                        "created_at timestamp with time zone", "_position_lsn bigint not null",
                        "_position_seq bigint not null", "_deleted boolean not null",
                        "_loaded_at timestamp with time zone not null", "_inserted_lsn bigint not null",
                        "_inserted_seq bigint not null");
        assertThat(strings("SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                + "WHERE a.attrelid = 'shop_dw_raw.sales__order_items'::regclass AND a.attnum BETWEEN 3 AND 7 "
                + "ORDER BY a.attnum")).containsExactly("unit_price numeric(10,2)", "status text",
                        "quantity integer", "tags text[]", "valid tstzrange");
        assertThat(primaryKey("shop_dw_raw.customers")).containsExactly("id");
        assertThat(primaryKey("shop_dw_raw.sales__order_items")).containsExactly("order_id", "line_no");
        assertThat(strings("SELECT obj_description('shop_dw_raw.customers'::regclass, 'pg_class')"))
                .containsExactly("Current state of source table public.customers, one row per key; "
                        + "deleted rows stay with _deleted = true.");
        assertThat(strings("SELECT c.relname || '.' || a.attname FROM pg_class c "
                + "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                + "WHERE c.relnamespace = 'shop_dw_raw'::regnamespace AND c.relkind = 'r' "
                + "AND coalesce(col_description(c.oid, a.attnum), '') = ''")).isEmpty();

        assertThat(strings("SELECT phase || ':' || definition_version || ':' || (applied_at IS NOT NULL) || ':' "
                + "|| checksum FROM lockstep.warehouse_migrations WHERE pipeline = 'shop'"))
                .containsExactly("expand:1:true:" + StoredMigrations.sha256(raw.up()));
        assertThat(strings("SELECT down_script FROM lockstep.warehouse_migrations WHERE pipeline = 'shop'"))
                .containsExactly(raw.down());
        assertThat(strings("SELECT version || ':' || checksum FROM lockstep.deployments WHERE pipeline = 'shop'"))
                .containsExactly("1:" + DEFINITION_CHECKSUM);
    }

    @Test
    void shouldChangeNothingWhenTheSameMigrationsAreAppliedAgain() throws SQLException {
        migrations("again", "again_dw").apply(List.of(RawLayerDdl.create("again_dw", List.of(CUSTOMERS), 1)));
        String history = "SELECT installed_rank || ':' || version || ':' || checksum || ':' || installed_on "
                + "FROM again_dw.flyway_schema_history ORDER BY installed_rank";
        List<String> historyBefore = strings(history);
        List<String> appliedAtBefore = strings("SELECT version || ':' || applied_at "
                + "FROM lockstep.warehouse_migrations WHERE pipeline = 'again'");

        WarehouseMigrations.Result second = migrations("again", "again_dw")
                .apply(List.of(RawLayerDdl.create("again_dw", List.of(CUSTOMERS), 1)));

        assertThat(second).isEqualTo(new WarehouseMigrations.Result(List.of(), List.of(1), List.of()));
        assertThat(strings(history)).isEqualTo(historyBefore);
        assertThat(strings("SELECT version || ':' || applied_at FROM lockstep.warehouse_migrations "
                + "WHERE pipeline = 'again'")).isEqualTo(appliedAtBefore);
        assertThat(strings("SELECT count(*)::text FROM lockstep.deployments WHERE pipeline = 'again'"))
                .containsExactly("1");
    }

    @Test
    void shouldKeepTheStoredScriptWhenARegeneratedOneDiffers() throws SQLException, IOException {
        MigrationScript original = RawLayerDdl.create("drift_dw", List.of(CUSTOMERS), 1);
        migrations("drift", "drift_dw").apply(List.of(original));
        SourceTable widened = table("public", "customers", CUSTOMERS.primaryKey(),
                Stream.concat(CUSTOMERS.columns().stream(), Stream.of(column("segment", "text", false)))
                        .toArray(SourceColumn[]::new));
        MigrationScript regenerated = RawLayerDdl.create("drift_dw", List.of(widened), 1);
        assertThat(regenerated.up()).isNotEqualTo(original.up());

        List<ILoggingEvent> logged = new ArrayList<>();
        WarehouseMigrations.Result result = captureLogs(logged,
                () -> migrations("drift", "drift_dw").apply(List.of(regenerated)));

        assertThat(result).isEqualTo(new WarehouseMigrations.Result(List.of(), List.of(1), List.of(1)));
        assertThat(logged).filteredOn(e -> e.getLevel() == Level.WARN).extracting(ILoggingEvent::getFormattedMessage)
                .singleElement().asString().contains("pipeline 'drift'", "V1", "up script", "keeping the stored");
        assertThat(strings("SELECT up_script FROM lockstep.warehouse_migrations WHERE pipeline = 'drift'"))
                .containsExactly(original.up());
        assertThat(strings("SELECT attname FROM pg_attribute WHERE attrelid = 'drift_dw_raw.customers'::regclass "
                + "AND attname = 'segment'")).isEmpty();

        // Flyway's history holds the checksum of the stored text: a Flyway reading the stored scripts validates,
        // one reading the regenerated text would not.
        assertThat(sqlMigrations(migrations("drift", "drift_dw").info()))
                .singleElement().satisfies(m -> assertThat(m.isChecksumMatching()).isTrue());
        Flyway stored = flywayFromFiles("drift_dw", "stored", List.of(original));
        stored.validate();
        assertThat(sqlMigrations(List.of(stored.info().all()))).extracting(MigrationInfo::getState)
                .containsExactly(MigrationState.SUCCESS);
        assertThatThrownBy(() -> flywayFromFiles("drift_dw", "regenerated", List.of(regenerated)).validate())
                .isInstanceOf(FlywayValidateException.class)
                .hasMessageContaining("checksum mismatch for migration version 1");
    }

    static Stream<Arguments> generatedRawLayers() {
        return Stream.of(
                Arguments.of("scratch_one", List.of(CUSTOMERS)),
                Arguments.of("scratch_many", List.of(CUSTOMERS, ORDER_ITEMS,
                        table("crm", "notes", List.of("id"), column("id", "uuid", true), column("body", "text", false)))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("generatedRawLayers")
    void shouldRevertEachUpScriptWithItsDownScript(String pipeline, List<SourceTable> tables) throws SQLException {
        String schema = pipeline + "_dw";
        execute("CREATE SCHEMA " + schema); // the pipeline's warehouse schema before its first migration: empty
        List<String> before = catalog(schema);
        WarehouseMigrations migrations = migrations(pipeline, schema);
        MigrationScript raw = RawLayerDdl.create(schema, tables, 1);

        assertThat(migrations.apply(List.of(raw)).applied()).containsExactly(1);
        assertThat(catalog(schema)).isNotEqualTo(before)
                .contains(schema + "_raw." + RawLayerDdl.tableName(tables.get(0).id()) + ":r._position_lsn bigint");
        migrations.revert(1);

        assertThat(catalog(schema)).isEqualTo(before);
        assertThat(strings("SELECT nspname FROM pg_namespace WHERE nspname = '" + schema + "_raw'")).isEmpty();
        assertThat(sqlMigrations(migrations.info())).extracting(MigrationInfo::getState)
                .containsExactly(MigrationState.PENDING);
        // The scratch schema can go round again: the stored up script applies cleanly after its down script.
        assertThat(migrations.apply(List.of(raw)).applied()).containsExactly(1);
        assertThat(catalog(schema)).contains(schema + "_raw." + RawLayerDdl.tableName(tables.get(0).id())
                + ":r._position_lsn bigint");
    }

    @Test
    void shouldRefuseToRevertAMigrationThatIsNotTheNewestApplied() {
        WarehouseMigrations migrations = migrations("order", "order_dw");
        migrations.apply(List.of(RawLayerDdl.create("order_dw", List.of(CUSTOMERS), 1),
                new MigrationScript(2, "add_audit", "CREATE TABLE order_dw.audit (id int PRIMARY KEY);",
                        "DROP TABLE order_dw.audit;")));

        assertThatThrownBy(() -> migrations.revert(1))
                .isInstanceOf(LockstepException.class)
                .hasMessageContaining("pipeline 'order': V1 is not the newest applied warehouse migration (that is V2)");
    }

    @Test
    void shouldNameThePipelineAndVersionWhenFlywayFails() throws SQLException {
        MigrationScript broken = new MigrationScript(2, "add_broken_table",
                "CREATE TABLE broken_dw.audit (id int PRIMARY KEY, oops);", "DROP TABLE broken_dw.audit;");

        assertThatThrownBy(() -> migrations("broken", "broken_dw")
                .apply(List.of(RawLayerDdl.create("broken_dw", List.of(CUSTOMERS), 1), broken)))
                .isInstanceOf(LockstepException.class)
                .hasMessageContaining("pipeline 'broken': warehouse migration V2 (add_broken_table) failed "
                        + "in schema 'broken_dw'")
                .extracting(e -> ((LockstepException) e).code()).isEqualTo(ErrorCode.INTERNAL);
        assertThat(strings("SELECT version || ':' || (applied_at IS NOT NULL) FROM lockstep.warehouse_migrations "
                + "WHERE pipeline = 'broken' ORDER BY version")).containsExactly("1:true", "2:false");
    }

    @Test
    void shouldCommitWorkInAMigrationsTransactionWithItOrNotAtAll() throws SQLException {
        int version = storedNoteMigration("within");
        execute("CREATE TABLE within_dw.switches (version int)");
        String column = noteColumns("within");

        assertThatThrownBy(() -> migrations("within", "within_dw").migrateTo(version, c -> {
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO within_dw.switches VALUES (" + version + ")");
            }
            throw new SQLException("recording the switch failed");
        })).isInstanceOf(LockstepException.class).hasMessageContaining("recording the switch failed");
        assertThat(strings(column)).containsExactly("0");
        assertThat(strings("SELECT count(*)::text FROM within_dw.switches")).containsExactly("0");
        assertThat(strings("SELECT count(*)::text FROM within_dw.flyway_schema_history WHERE version = '" + version
                + "'")).containsExactly("0");

        List<Integer> applied = migrations("within", "within_dw").migrateTo(version, c -> {
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO within_dw.switches VALUES (" + version + ")");
            }
        });

        assertThat(applied).containsExactly(version);
        assertThat(strings(column)).containsExactly("1");
        assertThat(strings("SELECT version::text FROM within_dw.switches")).containsExactly(String.valueOf(version));
        assertThat(migrations("within", "within_dw").migrateTo(version, c -> {
            throw new SQLException("not run: the migration was applied before");
        })).isEmpty();
    }

    @Test
    void shouldApplyAMigrationMadeReadyForAControlPointAsFlywayWouldWithItsWorkOrNotAtAll() throws SQLException {
        int version = storedNoteMigration("ready");
        execute("CREATE TABLE ready_dw.switches (version int)");
        String column = noteColumns("ready");
        ControlPointMigration ready = migrations("ready", "ready_dw").prepare(version).orElseThrow();

        assertThatThrownBy(() -> ready.apply(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO ready_dw.switches VALUES (" + version + ")");
            }
            throw new SQLException("recording the switch failed");
        })).isInstanceOf(LockstepException.class).hasMessageContaining("warehouse migration V" + version
                + " (add_note) failed in schema 'ready_dw': recording the switch failed");
        assertThat(strings(column)).containsExactly("0");
        assertThat(strings("SELECT count(*)::text FROM ready_dw.switches")).containsExactly("0");

        assertThat(ready.apply(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO ready_dw.switches VALUES (" + version + ")");
            }
        })).containsExactly(version);

        assertThat(strings(column)).containsExactly("1");
        assertThat(strings("SELECT version::text FROM ready_dw.switches")).containsExactly(String.valueOf(version));
        // Flyway's history holds the row Flyway would have written: validated, nothing pending, applied_at recorded.
        assertThat(migrations("ready", "ready_dw").apply(List.of()))
                .isEqualTo(new WarehouseMigrations.Result(List.of(), List.of(1, version), List.of()));
        assertThat(sqlMigrations(migrations("ready", "ready_dw").info()))
                .extracting(m -> m.getVersion().getVersion(), MigrationInfo::getScript, MigrationInfo::getState)
                .containsExactly(tuple("1", "V1__raw_layer.sql", MigrationState.SUCCESS),
                        tuple(String.valueOf(version), "V" + version + "__add_note.sql", MigrationState.SUCCESS));
        assertThat(strings("SELECT (applied_at IS NOT NULL)::text FROM lockstep.warehouse_migrations WHERE pipeline "
                + "= 'ready' ORDER BY version")).containsExactly("true", "true");
        assertThat(ready.apply(c -> {
            throw new SQLException("not run: the migration was applied before");
        })).isEmpty();
        assertThat(migrations("ready", "ready_dw").prepare(version)).isEmpty();
    }

    @Test
    void shouldHoldTheTablesAMigrationAltersAgainstVacuumButNotAgainstWritesUntilItIsApplied() throws SQLException {
        int version = storedNoteMigration("held");
        String vacuumLock = "LOCK TABLE held_dw_raw.customers IN SHARE UPDATE EXCLUSIVE MODE NOWAIT";
        ControlPointMigration ready = migrations("held", "held_dw").prepare(version).orElseThrow();

        ready.hold(List.of("\"held_dw_raw\".\"customers\""));

        try (Connection other = dataSource().getConnection()) {
            other.setAutoCommit(false);
            try (Statement s = other.createStatement()) {
                assertThatThrownBy(() -> s.execute(vacuumLock)).isInstanceOf(SQLException.class)
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("55P03"));
                other.rollback();
                s.execute("INSERT INTO held_dw_raw.customers (id, _position_lsn, _position_seq, _deleted, _loaded_at, "
                        + "_inserted_lsn, _inserted_seq) VALUES (1, 1, 1, false, now(), 1, 1)");
                other.commit();
            }
        }
        assertThat(ready.apply(null)).containsExactly(version);
        try (Connection other = dataSource().getConnection(); Statement s = other.createStatement()) {
            other.setAutoCommit(false);
            s.execute(vacuumLock); // let go with the migration's commit
            other.rollback();
        }
        assertThat(strings(noteColumns("held"))).containsExactly("1");
    }

    @Test
    void shouldRefuseAnotherDefinitionUnderADeployedVersion() {
        migrations("redeploy", "redeploy_dw").apply(List.of());
        WarehouseMigrations changed = WarehouseMigrations.builder().dataSource(dataSource()).pipeline("redeploy")
                .warehouseSchema("redeploy_dw").deployment(1, "pipeline: redeploy\n# edited\n", "b".repeat(64))
                .build();

        assertThatThrownBy(() -> changed.apply(List.of()))
                .isInstanceOf(LockstepException.class)
                .hasMessageContaining("pipeline 'redeploy': definition version 1 was already deployed")
                .extracting(e -> ((LockstepException) e).code()).isEqualTo(ErrorCode.INVALID_INPUT);
    }

    @Test
    void shouldNameEveryMissingValueWhenBuilt() {
        assertThatThrownBy(() -> WarehouseMigrations.builder().pipeline("shop").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("WarehouseMigrations needs dataSource, warehouseSchema, deployment");
    }

    /**
     * Deploys pipeline {@code pipeline}'s raw layer (schema {@code <pipeline>_dw}) and stores, not applied, a switch
     * migration adding column {@code note} to its customers; returns the migration's version.
     */
    private static int storedNoteMigration(String pipeline) {
        String schema = pipeline + "_dw";
        migrations(pipeline, schema).apply(List.of(RawLayerDdl.create(schema, List.of(CUSTOMERS), 1)));
        return new Deployments(dataSource(), pipeline).store(1, "add_note", "ALTER TABLE " + schema + "_raw.customers "
                + "ADD COLUMN note text;", "ALTER TABLE " + schema + "_raw.customers DROP COLUMN note;",
                WarehouseMigrations.Phase.SWITCH);
    }

    /** The query counting the {@code note} columns of pipeline {@code pipeline}'s raw customers (0 or 1). */
    private static String noteColumns(String pipeline) {
        return "SELECT count(*)::text FROM pg_attribute WHERE attrelid = '" + pipeline + "_dw_raw.customers'::regclass "
                + "AND attname = 'note'";
    }

    private static WarehouseMigrations migrations(String pipeline, String schema) {
        return WarehouseMigrations.builder()
                .dataSource(dataSource())
                .pipeline(pipeline)
                .warehouseSchema(schema)
                .deployment(1, DEFINITION, DEFINITION_CHECKSUM)
                .build();
    }

    /** A Flyway independent of WarehouseMigrations, reading the given scripts from files. */
    private Flyway flywayFromFiles(String schema, String name, List<MigrationScript> scripts) throws IOException {
        Path location = Files.createDirectories(dir.resolve(name));
        for (MigrationScript script : scripts) {
            Files.writeString(location.resolve(script.fileName()), script.up());
        }
        return Flyway.configure()
                .dataSource(dataSource())
                .schemas(schema)
                .table(WarehouseMigrations.HISTORY_TABLE)
                .locations("filesystem:" + location)
                .placeholderReplacement(false)
                .load();
    }

    private static <T> T captureLogs(List<ILoggingEvent> into, Supplier<T> action) {
        Logger logger = (Logger) LoggerFactory.getLogger(WarehouseMigrations.class.getPackageName());
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        Level level = logger.getLevel();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
        try {
            return action.get();
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(level);
            into.addAll(appender.list);
        }
    }

    private static List<MigrationInfo> sqlMigrations(List<MigrationInfo> all) {
        return all.stream().filter(m -> m.getType() == CoreMigrationType.SQL).toList();
    }

    /** Schemas, relations and columns of a warehouse schema and its raw schema, without Flyway's history. */
    private static List<String> catalog(String schema) throws SQLException {
        return strings("SELECT n.nspname || coalesce('.' || c.relname || ':' || c.relkind::text, '') "
                + "|| coalesce('.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod), '') "
                + "FROM pg_namespace n "
                + "LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname NOT LIKE 'flyway_schema_history%' "
                + "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                + "WHERE n.nspname IN ('" + schema + "', '" + schema + "_raw') ORDER BY 1");
    }

    private static List<String> primaryKey(String table) throws SQLException {
        return strings("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                + "AND a.attnum = ANY (i.indkey) WHERE i.indrelid = '" + table + "'::regclass AND i.indisprimary "
                + "ORDER BY array_position(i.indkey::int2[], a.attnum)");
    }

    private static SourceTable table(String schema, String name, List<String> primaryKey, SourceColumn... columns) {
        return new SourceTable(new TableId(schema, name), true, "r", List.of(columns), primaryKey,
                new ReplicaIdentity(ReplicaIdentity.Mode.DEFAULT, List.of()));
    }

    private static SourceColumn column(String name, String type, boolean notNull) {
        return new SourceColumn(name, type, Kind.BASE, type, notNull);
    }

    private static PGSimpleDataSource dataSource() {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(services.jdbcUrl(DB));
        dataSource.setUser(services.user());
        dataSource.setPassword(services.password());
        return dataSource;
    }

    private static void execute(String sql) throws SQLException {
        try (Connection c = services.connect(DB); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static List<String> strings(String query) throws SQLException {
        try (Connection c = services.connect(DB); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            List<String> values = new ArrayList<>();
            while (rs.next()) {
                values.add(rs.getString(1));
            }
            return values;
        }
    }
}
