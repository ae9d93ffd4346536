package dev.lockstep.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.embedded.testing.ServicesExtension;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.CoreMigrationType;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The control schema's Flyway migrations apply to an empty PostgreSQL, applying them again changes nothing, every
 * table and column is described, and the tables enforce what the applier and the relays rely on.
 */
class ControlSchemaIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    /** Lockstep's own control tables; Flyway's history table is not one of them. */
    private static final List<String> CONTROL_TABLES = List.of("alerts", "deployments", "offsets", "open_alerts",
            "quarantine", "quarantine_replays", "reconcile_barriers", "schema_history", "warehouse_migrations");
    private static final String CHECKSUM = "a".repeat(64);
    private static final Pattern INDEX = Pattern.compile("(?i)\\b(CREATE\\s+(UNIQUE\\s+)?INDEX|PRIMARY\\s+KEY|UNIQUE\\s*\\()");

    private static ControlSchema control;
    private static int firstRun;

    @BeforeAll
    static void migrateEmptyDatabase() throws SQLException {
        control = ControlSchema.of(dataSource());
        firstRun = control.migrate();
        execute("INSERT INTO lockstep.deployments (pipeline, version, checksum, definition) "
                + "VALUES ('shop', 1, 'abc', 'pipeline: shop')");
    }

    @Test
    void shouldApplyEveryMigrationOnAnEmptyDatabase() throws SQLException {
        List<MigrationInfo> all = migrations();

        assertThat(all).extracting(MigrationInfo::getState).containsOnly(MigrationState.SUCCESS);
        assertThat(firstRun).isEqualTo(all.size());
        assertThat(all).extracting(m -> m.getVersion().getVersion())
                .containsExactly(Stream.iterate(1, v -> v + 1).limit(all.size()).map(String::valueOf)
                        .toArray(String[]::new));
        assertThat(control.currentVersion()).isEqualTo(String.valueOf(all.size()));
        assertThat(strings("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = 'lockstep' AND c.relkind IN ('r', 'p') AND relname <> 'control_schema_history' "
                + "ORDER BY relname")).containsExactlyElementsOf(CONTROL_TABLES);
    }

    @Test
    void shouldWriteEachMigrationAndItsHistoryRowOnOneConnection() throws SQLException {
        // Two connections commit apart: a process killed between the migration's commit and the history's left the
        // migration applied and unrecorded, and every later run failed on it (found by the chaos suite).
        services.database("control_fresh");
        PGSimpleDataSource target = new PGSimpleDataSource();
        target.setUrl(services.jdbcUrl("control_fresh"));
        target.setUser(services.user());
        target.setPassword(services.password());
        AtomicInteger open = new AtomicInteger();
        AtomicInteger mostOpen = new AtomicInteger();
        DataSource counting = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object result = method.invoke(target, args);
                    if (!method.getName().equals("getConnection")) {
                        return result;
                    }
                    mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
                    Connection connection = (Connection) result;
                    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                            (c, m, a) -> {
                                if (m.getName().equals("close") && !connection.isClosed()) {
                                    open.decrementAndGet();
                                }
                                return m.invoke(connection, a);
                            });
                });

        assertThat(ControlSchema.of(counting).migrate()).isEqualTo(migrations().size());
        assertThat(mostOpen.get()).as("connections open at once while migrating").isEqualTo(1);
    }

    @Test
    void shouldReapplyAsNoOp() throws SQLException {
        int historyBefore = count("SELECT count(*) FROM lockstep.control_schema_history WHERE success");

        assertThat(control.migrate()).isZero();
        assertThat(count("SELECT count(*) FROM lockstep.control_schema_history WHERE success"))
                .isEqualTo(historyBefore);
        flyway().validate();
    }

    @Test
    void shouldCommentEveryTableAndColumn() throws SQLException {
        String controlTables = "n.nspname = 'lockstep' AND c.relkind IN ('r', 'p') "
                + "AND c.relname <> 'control_schema_history'";
        List<String> tablesWithoutComment = strings("SELECT c.relname FROM pg_class c "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "LEFT JOIN pg_description d ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid "
                + "AND d.objsubid = 0 WHERE " + controlTables + " AND coalesce(btrim(d.description), '') = ''");
        List<String> columnsWithoutComment = strings("SELECT c.relname || '.' || a.attname FROM pg_class c "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                + "LEFT JOIN pg_description d ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid "
                + "AND d.objsubid = a.attnum WHERE " + controlTables + " AND coalesce(btrim(d.description), '') = ''");

        assertThat(tablesWithoutComment).isEmpty();
        assertThat(columnsWithoutComment).isEmpty();
    }

    @Test
    void shouldJustifyEveryIndexWithASupportsComment() throws IOException {
        List<String> unjustified = new ArrayList<>();
        for (MigrationInfo migration : migrations()) {
            if (migration.getVersion().getVersion().equals("1")) {
                continue; // V1 predates the convention and is never edited; its only index is the deployments key.
            }
            List<String> lines = script(migration.getScript());
            for (int i = 0; i < lines.size(); i++) {
                if (INDEX.matcher(lines.get(i)).find() && !lines.get(i).trim().startsWith("--")
                        && !precededBySupports(lines, i)) {
                    unjustified.add(migration.getScript() + ":" + (i + 1) + ": " + lines.get(i).trim());
                }
            }
        }
        assertThat(unjustified).isEmpty();
    }

    static Stream<Arguments> valuesOutsideTheirCheck() {
        String quarantine = "INSERT INTO lockstep.quarantine (pipeline, cause, rule, target, natural_key, commit_lsn, "
                + "sequence, definition_version, reason, status, resolved_at, raw_record, kafka_topic, "
                + "kafka_partition, kafka_offset) VALUES ";
        String alerts = "INSERT INTO lockstep.alerts (type, severity, pipeline, rule, payload) VALUES ";
        String migrations = "INSERT INTO lockstep.warehouse_migrations (pipeline, version, description, phase, "
                + "definition_version, up_script, down_script, checksum) VALUES ";
        String history = "INSERT INTO lockstep.schema_history (pipeline, kind, commit_lsn, sequence, "
                + "definition_version, source_table, schema_version, migration_version) VALUES ";
        return Stream.of(
                Arguments.of("quarantine_status_check", quarantine + "('shop', 'rule', 'email_not_null', 'customer', "
                        + "'{\"id\": 1}', 10, 1, 1, 'email is null', 'bogus', now(), NULL, NULL, NULL, NULL)"),
                Arguments.of("quarantine_cause_check", quarantine + "('shop', 'bogus', NULL, 'customer', "
                        + "'{\"id\": 1}', 10, 1, 1, 'why', 'open', NULL, NULL, NULL, NULL, NULL)"),
                Arguments.of("quarantine_rule_check", quarantine + "('shop', 'runtime_error', 'email_not_null', "
                        + "'customer', '{\"id\": 1}', 10, 1, 1, 'division by zero', 'open', NULL, NULL, NULL, NULL, "
                        + "NULL)"),
                Arguments.of("quarantine_undecodable_check", quarantine + "('shop', 'undecodable', NULL, NULL, NULL, "
                        + "NULL, NULL, 1, 'unknown fingerprint', 'open', NULL, NULL, NULL, NULL, NULL)"),
                Arguments.of("quarantine_resolved_check", quarantine + "('shop', 'rule', 'email_not_null', "
                        + "'customer', '{\"id\": 1}', 10, 1, 1, 'email is null', 'replayed', NULL, NULL, NULL, NULL, "
                        + "NULL)"),
                Arguments.of("quarantine_position_check", quarantine + "('shop', 'rule', 'email_not_null', "
                        + "'customer', '{\"id\": 1}', -1, 1, 1, 'email is null', 'open', NULL, NULL, NULL, NULL, "
                        + "NULL)"),
                Arguments.of("quarantine_natural_key_check", quarantine + "('shop', 'rule', 'email_not_null', "
                        + "'customer', '[1]', 10, 1, 1, 'email is null', 'open', NULL, NULL, NULL, NULL, NULL)"),
                Arguments.of("alerts_severity_check", alerts
                        + "('dev.lockstep.rule.breached', 'urgent', 'shop', 'fresh', '{}')"),
                Arguments.of("alerts_type_check", alerts + "('breached', 'critical', 'shop', 'fresh', '{}')"),
                Arguments.of("alerts_payload_check", alerts
                        + "('dev.lockstep.rule.breached', 'critical', 'shop', 'fresh', '\"text\"')"),
                Arguments.of("open_alerts_severity_check", "INSERT INTO lockstep.open_alerts (pipeline, rule, "
                        + "event_id, severity, violations, opened_at, last_violation_at) "
                        + "VALUES ('shop', 'fresh', gen_random_uuid(), 'bogus', 1, now(), now())"),
                Arguments.of("warehouse_migrations_phase_check", migrations
                        + "('shop', 90, 'add segment', 'bogus', 1, 'SELECT 1', 'SELECT 1', '" + CHECKSUM + "')"),
                Arguments.of("warehouse_migrations_checksum_check", migrations
                        + "('shop', 91, 'add segment', 'expand', 1, 'SELECT 1', 'SELECT 1', 'abc')"),
                Arguments.of("schema_history_kind_check", history
                        + "('shop', 'bogus', 10, 0, 1, 'public.customers', 2, NULL)"),
                Arguments.of("schema_history_source_change_check", history
                        + "('shop', 'source_change', 10, 0, 1, NULL, 2, NULL)"),
                Arguments.of("offsets_position_check", "INSERT INTO lockstep.offsets (pipeline, topic, "
                        + "kafka_partition, next_offset, commit_lsn, sequence, definition_version) "
                        + "VALUES ('shop', 'lockstep.shop.changes', 0, 5, 10, -1, 1)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valuesOutsideTheirCheck")
    void shouldRejectValueOutsideItsCheckConstraint(String constraint, String insert) {
        assertThatThrownBy(() -> execute(insert))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("violates check constraint \"" + constraint + "\"")
                .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("23514");
    }

    @Test
    void shouldRefuseOffsetsOfADefinitionVersionNeverDeployed() {
        assertThatThrownBy(() -> execute("INSERT INTO lockstep.offsets (pipeline, topic, kafka_partition, "
                + "next_offset, commit_lsn, sequence, definition_version) "
                + "VALUES ('shop', 'lockstep.shop.changes', 0, 5, 10, 3, 7)"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("offsets_definition_fkey");
    }

    @Test
    void shouldKeepOneOffsetsRowPerPipelineAcrossBatches() throws SQLException {
        String upsert = "INSERT INTO lockstep.offsets AS o (pipeline, topic, kafka_partition, next_offset, "
                + "commit_lsn, sequence, definition_version) VALUES ('shop', 'lockstep.shop.changes', 0, %d, %d, 4, 1) "
                + "ON CONFLICT (pipeline) DO UPDATE SET next_offset = excluded.next_offset, "
                + "commit_lsn = excluded.commit_lsn, sequence = excluded.sequence, updated_at = now()";

        execute(upsert.formatted(5, 100));
        execute(upsert.formatted(9, 200));

        assertThat(strings("SELECT next_offset || '@' || commit_lsn || '/' || sequence FROM lockstep.offsets "
                + "WHERE pipeline = 'shop'")).containsExactly("9@200/4");
    }

    @Test
    void shouldRefuseDeleteOnQuarantineLedger() throws SQLException {
        long id = quarantineRow();

        assertThatThrownBy(() -> execute("DELETE FROM lockstep.quarantine WHERE quarantine_id = " + id))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("lockstep.quarantine is append-only: DELETE is not allowed")
                .extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("23001");
        assertThat(count("SELECT count(*) FROM lockstep.quarantine WHERE quarantine_id = " + id)).isOne();
    }

    @Test
    void shouldGuardTheLedgerOnASessionThatRunsAsAReplica() throws SQLException {
        // The applier's session skips ordinary triggers (session_replication_role = replica); the guards fire always.
        long id = quarantineRow();

        assertThatThrownBy(() -> execute("SET session_replication_role = replica; "
                + "DELETE FROM lockstep.quarantine WHERE quarantine_id = " + id))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("lockstep.quarantine is append-only: DELETE is not allowed");
        assertThatThrownBy(() -> execute("SET session_replication_role = replica; TRUNCATE lockstep.quarantine"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("TRUNCATE is not allowed");
        assertThat(count("SELECT count(*) FROM lockstep.quarantine WHERE quarantine_id = " + id)).isOne();
        assertThat(strings("SELECT tgname || ' ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN "
                + "('lockstep.quarantine'::regclass, 'lockstep.warehouse_migrations'::regclass) ORDER BY 1"))
                .containsExactly("quarantine_append_only A", "quarantine_no_delete A", "quarantine_no_truncate A",
                        "warehouse_migrations_immutable A");
    }

    @Test
    void shouldGuardEveryLedgerColumnButTheResolutionAndTheRelayMark() throws SQLException {
        // The guard's function runs only when its trigger's WHEN condition finds a forbidden change: a column the
        // condition does not name could be rewritten freely.
        String trigger = strings("SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = "
                + "'quarantine_append_only'").get(0);
        List<String> columns = strings("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                + "'lockstep' AND table_name = 'quarantine' AND column_name NOT IN ('status', 'resolved_at', "
                + "'relayed_at') ORDER BY ordinal_position");

        assertThat(columns).hasSizeGreaterThan(15);
        assertThat(columns).allSatisfy(column -> assertThat(trigger).as("the guard's WHEN condition")
                .contains("old." + column).contains("new." + column));
    }

    @Test
    void shouldAllowMaskingAConformedRowAndNothingElseOfIt() throws SQLException {
        long id = quarantineRow();

        assertThatThrownBy(() -> execute("UPDATE lockstep.quarantine SET conformed_row = conformed_row || "
                + "'{\"city\": \"Oslo\"}' WHERE quarantine_id = " + id)).isInstanceOf(SQLException.class)
                .hasMessageContaining("may only change status");
        assertThatThrownBy(() -> execute("UPDATE lockstep.quarantine SET conformed_row = conformed_row - 'email' "
                + "WHERE quarantine_id = " + id)).isInstanceOf(SQLException.class)
                .hasMessageContaining("may only change status");
        assertThatThrownBy(() -> execute("UPDATE lockstep.quarantine SET conformed_row = conformed_row || "
                + "'{\"id\": 8}' WHERE quarantine_id = " + id)).isInstanceOf(SQLException.class);
        try (Connection c = services.connect("control")) {
            c.setAutoCommit(false);
            assertThat(new QuarantineStore(c, "shop").mask("customer", "id")).isPositive();
            c.commit();
        }

        assertThat(strings("SELECT conformed_row::text FROM lockstep.quarantine WHERE quarantine_id = " + id))
                .containsExactly("{\"id\": \"***\", \"name\": \"***\", \"email\": null}");
    }

    @Test
    void shouldRefuseTruncateOfQuarantineLedger() throws SQLException {
        long id = quarantineRow();

        assertThatThrownBy(() -> execute("TRUNCATE lockstep.quarantine"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("TRUNCATE is not allowed");
        assertThat(count("SELECT count(*) FROM lockstep.quarantine WHERE quarantine_id = " + id)).isOne();
    }

    @Test
    void shouldRefuseRewritingAQuarantinedRow() throws SQLException {
        long id = quarantineRow();

        assertThatThrownBy(() -> execute("UPDATE lockstep.quarantine SET reason = 'nothing wrong' "
                + "WHERE quarantine_id = " + id))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("may only change status, resolved_at and relayed_at");
    }

    @Test
    void shouldResolveAnOpenQuarantineRowOnceAndRelayItAgain() throws SQLException {
        long id = quarantineRow();

        execute("UPDATE lockstep.quarantine SET relayed_at = now() WHERE quarantine_id = " + id);
        execute("UPDATE lockstep.quarantine SET status = 'replayed', resolved_at = now(), relayed_at = NULL "
                + "WHERE quarantine_id = " + id);

        assertThat(strings("SELECT status FROM lockstep.quarantine WHERE quarantine_id = " + id))
                .containsExactly("replayed");
        assertThatThrownBy(() -> execute("UPDATE lockstep.quarantine SET status = 'discarded' "
                + "WHERE quarantine_id = " + id))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("was already resolved (replayed)");
    }

    @Test
    void shouldStoreAWarehouseMigrationOnceAndNeverRewriteIt() throws SQLException {
        String insert = "INSERT INTO lockstep.warehouse_migrations (pipeline, version, description, phase, "
                + "definition_version, up_script, down_script, checksum) VALUES ('shop', 1, 'create star schema', "
                + "'expand', 1, 'CREATE TABLE dim_customer ()', 'DROP TABLE dim_customer', '" + CHECKSUM + "')";
        execute(insert);

        assertThatThrownBy(() -> execute(insert)).isInstanceOf(SQLException.class)
                .hasMessageContaining("warehouse_migrations_pkey");
        assertThatThrownBy(() -> execute("UPDATE lockstep.warehouse_migrations SET up_script = 'SELECT 2' "
                + "WHERE pipeline = 'shop' AND version = 1"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("never regenerated");
        execute("UPDATE lockstep.warehouse_migrations SET applied_at = now() WHERE pipeline = 'shop' AND version = 1");
        assertThatThrownBy(() -> execute("UPDATE lockstep.warehouse_migrations SET applied_at = NULL "
                + "WHERE pipeline = 'shop' AND version = 1"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("was already applied");
        assertThatThrownBy(() -> execute("DELETE FROM lockstep.warehouse_migrations "
                + "WHERE pipeline = 'shop' AND version = 1"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("cannot be deleted");
    }

    @Test
    void shouldKeepOneOpenAlertPerRule() throws SQLException {
        String violation = "INSERT INTO lockstep.open_alerts AS a (pipeline, rule, event_id, severity, violations, "
                + "opened_at, last_violation_at) VALUES ('shop', 'email_not_null', gen_random_uuid(), 'warning', 1, "
                + "now(), now()) ";

        execute(violation + "ON CONFLICT (pipeline, rule) DO UPDATE SET violations = a.violations + 1, "
                + "last_violation_at = excluded.last_violation_at");
        execute(violation + "ON CONFLICT (pipeline, rule) DO UPDATE SET violations = a.violations + 1, "
                + "last_violation_at = excluded.last_violation_at");

        assertThat(strings("SELECT violations::text FROM lockstep.open_alerts "
                + "WHERE pipeline = 'shop' AND rule = 'email_not_null'")).containsExactly("2");
        assertThatThrownBy(() -> execute(violation)).isInstanceOf(SQLException.class)
                .hasMessageContaining("open_alerts_pkey");
    }

    @Test
    void shouldServeRelayAndQuarantineQueriesFromTheirIndexes() throws SQLException {
        execute("INSERT INTO lockstep.alerts (type, severity, pipeline, rule, payload, relayed_at) "
                + "SELECT 'dev.lockstep.quality.violation', 'warning', 'shop', 'email_not_null', '{}', now() "
                + "FROM generate_series(1, 500)");
        execute("ANALYZE lockstep.alerts");
        execute("ANALYZE lockstep.quarantine");

        assertThat(plan("SELECT * FROM lockstep.alerts WHERE pipeline = 'shop' AND relayed_at IS NULL "
                + "ORDER BY alert_id LIMIT 100")).contains("alerts_unrelayed_idx");
        assertThat(plan("SELECT * FROM lockstep.quarantine WHERE pipeline = 'shop' AND relayed_at IS NULL "
                + "ORDER BY quarantine_id LIMIT 100")).contains("quarantine_unrelayed_idx");
        assertThat(plan("SELECT * FROM lockstep.quarantine WHERE pipeline = 'shop' AND target = 'customer' "
                + "AND status = 'open' ORDER BY quarantine_id")).as("listing a target's open rows").contains("Index")
                .doesNotContain("Seq Scan");
        assertThat(plan("SELECT * FROM lockstep.quarantine WHERE pipeline = 'shop' AND target = 'customer' "
                + "AND status = 'open' AND natural_key = '{\"id\": 7}'")).contains("quarantine_open_key_idx");
    }

    @Test
    void shouldTellWhichTargetsHaveOpenRowsByProbingTheOpenRowsIndex() throws SQLException {
        for (String target : List.of("ot_customer", "ot_order_line", "ot_product")) {
            execute("INSERT INTO lockstep.quarantine (pipeline, cause, rule, target, natural_key, commit_lsn, "
                    + "sequence, tx_id, definition_version, reason, conformed_row) VALUES ('shop', 'rule', 'r', '"
                    + target + "', '{\"id\": 1}', 4096, 2, 771, 1, 'bad', '{\"id\": 1}')");
        }
        execute("UPDATE lockstep.quarantine SET status = 'discarded', resolved_at = now() WHERE pipeline = 'shop' "
                + "AND target = 'ot_order_line'");

        try (Connection c = services.connect("control")) {
            QuarantineStore ledger = new QuarantineStore(c, "shop");
            assertThat(ledger.openTargets(List.of("ot_order_line", "ot_product", "ot_store")))
                    .containsExactly("ot_product");
            assertThat(ledger.openTargets(List.of())).as("every target").contains("ot_customer", "ot_product")
                    .doesNotContain("ot_order_line");
        }
        assertThat(plan("SELECT t FROM unnest('{ot_customer}'::text[]) t WHERE EXISTS (SELECT 1 FROM "
                + "lockstep.quarantine q WHERE q.pipeline = 'shop' AND q.status = 'open' AND q.target = t)"))
                .contains("quarantine_open_key_idx");
    }

    private static long quarantineRow() throws SQLException {
        try (Connection c = services.connect("control"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("INSERT INTO lockstep.quarantine (pipeline, cause, rule, target, "
                        + "natural_key, commit_lsn, sequence, tx_id, definition_version, reason, conformed_row) "
                        + "VALUES ('shop', 'rule', 'email_not_null', 'customer', '{\"id\": 7}', 4096, 2, 771, 1, "
                        + "'email is null', '{\"id\": 7, \"email\": null, \"name\": \"***\"}') "
                        + "RETURNING quarantine_id")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String plan(String query) throws SQLException {
        try (Connection c = services.connect("control"); Statement s = c.createStatement()) {
            s.execute("SET enable_seqscan = off");
            try (ResultSet rs = s.executeQuery("EXPLAIN " + query)) {
                StringBuilder plan = new StringBuilder();
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
                return plan.toString();
            }
        }
    }

    private static boolean precededBySupports(List<String> lines, int index) {
        for (int i = index - 1; i >= 0 && lines.get(i).trim().startsWith("--"); i--) {
            if (lines.get(i).trim().startsWith("-- Supports:")) {
                return true;
            }
        }
        return false;
    }

    private static List<String> script(String name) throws IOException {
        String resource = ControlSchema.LOCATION.substring("classpath:".length()) + "/" + name;
        try (InputStream in = ControlSchema.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return Arrays.asList(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1));
        }
    }

    /** Returns the control schema's SQL migrations, without Flyway's schema-creation marker. */
    private static List<MigrationInfo> migrations() {
        return Arrays.stream(flyway().info().all()).filter(m -> m.getType() == CoreMigrationType.SQL).toList();
    }

    private static Flyway flyway() {
        return Flyway.configure(ControlSchema.class.getClassLoader())
                .dataSource(dataSource())
                .schemas(ControlSchema.SCHEMA)
                .table(ControlSchema.HISTORY_TABLE)
                .locations(ControlSchema.LOCATION)
                .placeholderReplacement(false)
                .load();
    }

    private static PGSimpleDataSource dataSource() {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(services.jdbcUrl("control"));
        dataSource.setUser(services.user());
        dataSource.setPassword(services.password());
        return dataSource;
    }

    private static void execute(String sql) throws SQLException {
        try (Connection c = services.connect("control"); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static int count(String query) throws SQLException {
        try (Connection c = services.connect("control"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static List<String> strings(String query) throws SQLException {
        try (Connection c = services.connect("control"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            List<String> values = new ArrayList<>();
            while (rs.next()) {
                values.add(rs.getString(1));
            }
            return values;
        }
    }
}
