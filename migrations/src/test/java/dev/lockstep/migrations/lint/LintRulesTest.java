package dev.lockstep.migrations.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.migrations.lint.LintContext.KeyChange;
import dev.lockstep.migrations.lint.Script.Phase;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every lint rule, each with statements that trigger it and statements that do not. */
class LintRulesTest {

    /** One row of the table: the scripts, the context, the rule under test and whether it must fire. */
    record Case(LintRule rule, boolean fires, String name, List<Script> scripts, LintContext context) {
        @Override
        public String toString() {
            return rule.id() + (fires ? " fires: " : " quiet: ") + name;
        }
    }

    static final LintContext CONTEXT = LintContext.empty()
            .withDefaultSchema("dw")
            .withTableRows(Map.of("dw.orders", 2_000_000L, "dw.small", 10L, "dw.dim_customer", 50_000L))
            .withApplierTables(Set.of("dw.dim_customer", "dw.fact_order_line", "dw_raw.customers"));

    static Stream<Case> cases() {
        return Stream.of(
                fires(LintRule.ADDING_REQUIRED_FIELD, "NOT NULL, no default",
                        "ALTER TABLE dw.orders ADD COLUMN segment text NOT NULL"),
                fires(LintRule.ADDING_REQUIRED_FIELD, "second action of several, IF NOT EXISTS",
                        "ALTER TABLE orders ADD COLUMN a int, ADD COLUMN IF NOT EXISTS b int NOT NULL"),
                quiet(LintRule.ADDING_REQUIRED_FIELD, "NOT NULL with a default",
                        "ALTER TABLE dw.orders ADD COLUMN segment text NOT NULL DEFAULT 'none'"),
                quiet(LintRule.ADDING_REQUIRED_FIELD, "NOT NULL only inside a CHECK",
                        "ALTER TABLE dw.orders ADD COLUMN segment text CHECK (segment IS NOT NULL)"),
                quiet(LintRule.ADDING_REQUIRED_FIELD, "table created by the same script",
                        "CREATE TABLE dw.segments (id int); ALTER TABLE dw.segments ADD COLUMN name text NOT NULL"),

                fires(LintRule.SETTING_NOT_NULLABLE_FIELD, "SET NOT NULL",
                        "ALTER TABLE dw.orders ALTER COLUMN segment SET NOT NULL"),
                quiet(LintRule.SETTING_NOT_NULLABLE_FIELD, "after a validated CHECK",
                        "ALTER TABLE dw.orders ADD CONSTRAINT segment_nn CHECK (segment IS NOT NULL) NOT VALID;\n"
                                + "ALTER TABLE dw.orders VALIDATE CONSTRAINT segment_nn;\n"
                                + "ALTER TABLE dw.orders ALTER COLUMN segment SET NOT NULL"),
                quiet(LintRule.SETTING_NOT_NULLABLE_FIELD, "DROP NOT NULL",
                        "ALTER TABLE dw.orders ALTER COLUMN segment DROP NOT NULL"),

                fires(LintRule.CHANGING_COLUMN_TYPE, "TYPE", "ALTER TABLE dw.orders ALTER COLUMN amount TYPE numeric(12, 2)"),
                fires(LintRule.CHANGING_COLUMN_TYPE, "SET DATA TYPE … USING",
                        "ALTER TABLE dw.orders ALTER amount SET DATA TYPE bigint USING amount::bigint"),
                quiet(LintRule.CHANGING_COLUMN_TYPE, "SET DEFAULT", "ALTER TABLE dw.orders ALTER COLUMN amount SET DEFAULT 0"),

                fires(LintRule.ADDING_FIELD_WITH_VOLATILE_DEFAULT, "gen_random_uuid()",
                        "ALTER TABLE dw.orders ADD COLUMN token uuid DEFAULT gen_random_uuid()"),
                fires(LintRule.ADDING_FIELD_WITH_VOLATILE_DEFAULT, "a serial type",
                        "ALTER TABLE dw.orders ADD COLUMN seq bigserial"),
                fires(LintRule.ADDING_FIELD_WITH_VOLATILE_DEFAULT, "an identity column",
                        "ALTER TABLE dw.orders ADD COLUMN n bigint NOT NULL GENERATED ALWAYS AS IDENTITY"),
                quiet(LintRule.ADDING_FIELD_WITH_VOLATILE_DEFAULT, "now() is stable, not volatile",
                        "ALTER TABLE dw.orders ADD COLUMN loaded_at timestamptz DEFAULT now()"),
                quiet(LintRule.ADDING_FIELD_WITH_VOLATILE_DEFAULT, "random() in a SET DEFAULT does not rewrite",
                        "ALTER TABLE dw.orders ALTER COLUMN token SET DEFAULT random()"),

                fires(LintRule.REQUIRE_CONCURRENT_INDEX_CREATION, "large table",
                        "CREATE INDEX orders_segment ON dw.orders (segment)"),
                fires(LintRule.REQUIRE_CONCURRENT_INDEX_CREATION, "table of unknown size, UNIQUE, IF NOT EXISTS",
                        "CREATE UNIQUE INDEX IF NOT EXISTS u ON ONLY dw.unknown USING btree (id)"),
                quiet(LintRule.REQUIRE_CONCURRENT_INDEX_CREATION, "CONCURRENTLY",
                        "CREATE INDEX CONCURRENTLY orders_segment ON dw.orders (segment)"),
                quiet(LintRule.REQUIRE_CONCURRENT_INDEX_CREATION, "table under the threshold",
                        "CREATE INDEX small_x ON small (x)"),
                quiet(LintRule.REQUIRE_CONCURRENT_INDEX_CREATION, "table created by the same script",
                        "CREATE TABLE dw.fresh (id int);\nCREATE INDEX fresh_id ON dw.fresh (id)"),

                fires(LintRule.DISALLOWED_UNIQUE_CONSTRAINT, "UNIQUE on a large table",
                        "ALTER TABLE dw.orders ADD CONSTRAINT orders_number UNIQUE (number)"),
                fires(LintRule.DISALLOWED_UNIQUE_CONSTRAINT, "PRIMARY KEY on a table of unknown size",
                        "ALTER TABLE dw.unknown ADD PRIMARY KEY (id)"),
                quiet(LintRule.DISALLOWED_UNIQUE_CONSTRAINT, "UNIQUE USING INDEX",
                        "ALTER TABLE dw.orders ADD CONSTRAINT orders_number UNIQUE USING INDEX orders_number_idx"),
                quiet(LintRule.DISALLOWED_UNIQUE_CONSTRAINT, "table under the threshold",
                        "ALTER TABLE dw.small ADD PRIMARY KEY (id)"),
                new Case(LintRule.REQUIRE_CONCURRENT_INDEX_CREATION, false, "table created by an earlier script",
                        List.of(Script.generated("V1__g.sql", "CREATE TABLE dw.orders_v2 (id int)", Phase.EXPAND),
                                handWritten(Phase.EXPAND, "CREATE INDEX o ON dw.orders_v2 (id)")), CONTEXT),
                fires(LintRule.CONSTRAINT_MISSING_NOT_VALID, "FOREIGN KEY",
                        "ALTER TABLE dw.orders ADD CONSTRAINT fk FOREIGN KEY (customer_key) REFERENCES dw.dim_customer"),
                fires(LintRule.CONSTRAINT_MISSING_NOT_VALID, "CHECK",
                        "ALTER TABLE dw.orders ADD CHECK (amount >= 0)"),
                quiet(LintRule.CONSTRAINT_MISSING_NOT_VALID, "NOT VALID",
                        "ALTER TABLE dw.orders ADD CONSTRAINT fk FOREIGN KEY (customer_key) "
                                + "REFERENCES dw.dim_customer (customer_key) NOT VALID"),
                quiet(LintRule.CONSTRAINT_MISSING_NOT_VALID, "VALIDATE CONSTRAINT",
                        "ALTER TABLE dw.orders VALIDATE CONSTRAINT fk"),

                fires(LintRule.BAN_DROP_OUTSIDE_CONTRACT, "DROP TABLE in expand", "DROP TABLE IF EXISTS dw.old_orders"),
                fires(LintRule.BAN_DROP_OUTSIDE_CONTRACT, "DROP COLUMN in expand",
                        "ALTER TABLE dw.orders DROP COLUMN IF EXISTS legacy"),
                quiet(LintRule.BAN_DROP_OUTSIDE_CONTRACT, "DROP COLUMN in contract", Phase.CONTRACT,
                        "ALTER TABLE dw.orders DROP COLUMN legacy"),
                quiet(LintRule.BAN_DROP_OUTSIDE_CONTRACT, "DROP CONSTRAINT in expand",
                        "ALTER TABLE dw.orders DROP CONSTRAINT fk"),

                fires(LintRule.RENAMING_COLUMN, "RENAME COLUMN", "ALTER TABLE dw.orders RENAME COLUMN amount TO total"),
                fires(LintRule.RENAMING_COLUMN, "RENAME without COLUMN", "ALTER TABLE dw.orders RENAME amount TO total"),
                quiet(LintRule.RENAMING_COLUMN, "RENAME CONSTRAINT", "ALTER TABLE dw.orders RENAME CONSTRAINT fk TO fk2"),

                fires(LintRule.RENAMING_TABLE, "RENAME TO", "ALTER TABLE dw.orders RENAME TO orders_v2"),
                fires(LintRule.RENAMING_TABLE, "a view", "ALTER VIEW dw.sales RENAME TO revenue"),
                quiet(LintRule.RENAMING_TABLE, "table created by the same script",
                        "CREATE TABLE dw.tmp (id int); ALTER TABLE dw.tmp RENAME TO segments"),
                quiet(LintRule.RENAMING_TABLE, "an index", "ALTER INDEX dw.orders_segment RENAME TO orders_seg"),

                fires(LintRule.REQUIRE_LOCK_TIMEOUT, "ALTER TABLE, no lock_timeout",
                        "ALTER TABLE dw.orders ADD COLUMN segment text"),
                fires(LintRule.REQUIRE_LOCK_TIMEOUT, "lock_timeout set only after the DDL",
                        "ALTER TABLE dw.orders ADD COLUMN segment text; SET lock_timeout = '5s'"),
                fires(LintRule.REQUIRE_LOCK_TIMEOUT, "lock_timeout set to 0 (no timeout)",
                        "SET lock_timeout = 0; DROP TABLE dw.old_orders"),
                new Case(LintRule.REQUIRE_LOCK_TIMEOUT, true, "generated, the runner sets nothing",
                        List.of(Script.generated("V2__g.sql", "ALTER TABLE dw.orders ADD COLUMN segment text",
                                Phase.EXPAND)), CONTEXT),
                quiet(LintRule.REQUIRE_LOCK_TIMEOUT, "SET lock_timeout before",
                        "SET lock_timeout = '5s';\nALTER TABLE dw.orders ADD COLUMN segment text"),
                quiet(LintRule.REQUIRE_LOCK_TIMEOUT, "SET LOCAL lock_timeout TO before",
                        "SET LOCAL lock_timeout TO '2s'; TRUNCATE dw.small"),
                fires(LintRule.REQUIRE_LOCK_TIMEOUT, "lock_timeout reset before the DDL",
                        "SET lock_timeout = '5s'; RESET lock_timeout; ALTER TABLE dw.orders RENAME CONSTRAINT a TO b"),
                quiet(LintRule.REQUIRE_LOCK_TIMEOUT, "set_config before",
                        "SELECT set_config('lock_timeout', '3s', true); DROP INDEX dw.orders_segment"),
                quiet(LintRule.REQUIRE_LOCK_TIMEOUT, "only a new table",
                        "CREATE TABLE dw.fresh (id int); ALTER TABLE dw.fresh ADD COLUMN name text"),
                new Case(LintRule.REQUIRE_LOCK_TIMEOUT, false, "generated, the runner sets it",
                        List.of(Script.generated("V2__g.sql", "ALTER TABLE dw.orders ADD COLUMN segment text",
                                Phase.EXPAND)), CONTEXT.withRunnerSetsLockTimeout(true)),

                fires(LintRule.PREFER_IDENTIFIER_MAX_LENGTH, "64 ASCII characters",
                        "CREATE TABLE dw.t (" + "c".repeat(64) + " int)"),
                fires(LintRule.PREFER_IDENTIFIER_MAX_LENGTH, "32 two-byte characters are 64 bytes",
                        "CREATE TABLE dw.\"" + "é".repeat(32) + "\" (id int)"),
                quiet(LintRule.PREFER_IDENTIFIER_MAX_LENGTH, "63 ASCII characters",
                        "CREATE TABLE dw.t (" + "c".repeat(63) + " int)"),
                quiet(LintRule.PREFER_IDENTIFIER_MAX_LENGTH, "21 three-byte characters are 63 bytes",
                        "CREATE TABLE dw.t (" + "€".repeat(21) + " int)"),
                quiet(LintRule.PREFER_IDENTIFIER_MAX_LENGTH, "a long string literal is no identifier",
                        "COMMENT ON TABLE dw.orders IS '" + "x".repeat(100) + "'"),

                new Case(LintRule.DESTRUCTIVE_WITHOUT_DOWN_SCRIPT, true, "DROP TABLE, no down script",
                        List.of(Script.handWritten("V3__h.sql", "DROP TABLE dw.old_orders", Phase.CONTRACT, false)),
                        CONTEXT),
                new Case(LintRule.DESTRUCTIVE_WITHOUT_DOWN_SCRIPT, true, "DROP COLUMN, no down script",
                        List.of(Script.handWritten("V3__h.sql", "ALTER TABLE dw.orders DROP COLUMN legacy",
                                Phase.CONTRACT, false)), CONTEXT),
                new Case(LintRule.DESTRUCTIVE_WITHOUT_DOWN_SCRIPT, true, "TRUNCATE, no down script",
                        List.of(Script.handWritten("V3__h.sql", "TRUNCATE dw.small", Phase.CONTRACT, false)), CONTEXT),
                quiet(LintRule.DESTRUCTIVE_WITHOUT_DOWN_SCRIPT, "DROP TABLE with a down script", Phase.CONTRACT,
                        "DROP TABLE dw.old_orders"),
                new Case(LintRule.DESTRUCTIVE_WITHOUT_DOWN_SCRIPT, false, "additive DDL, no down script",
                        List.of(Script.handWritten("V3__h.sql", "ALTER TABLE dw.orders ADD COLUMN x int",
                                Phase.EXPAND, false)), CONTEXT),

                fires(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, "INSERT",
                        "INSERT INTO dw.dim_customer (customer_key) VALUES (-2)"),
                fires(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, "UPDATE, unqualified name in the default schema",
                        "UPDATE dim_customer SET city = 'Unknown' WHERE city IS NULL"),
                fires(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, "DELETE", "DELETE FROM dw_raw.customers WHERE _deleted"),
                fires(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, "TRUNCATE of several", "TRUNCATE dw.small, dw.fact_order_line"),
                fires(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, "MERGE",
                        "MERGE INTO dw.dim_customer d USING dw.fix f ON d.id = f.id WHEN MATCHED THEN UPDATE SET city = f.city"),
                fires(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, "COPY … FROM", "COPY dw.fact_order_line FROM '/tmp/x.csv'"),
                fires(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, "data-modifying WITH",
                        "WITH gone AS (DELETE FROM dw.dim_customer WHERE id < 0 RETURNING id) SELECT count(*) FROM gone"),
                fires(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, "quoted name",
                        "INSERT INTO \"dw\".\"dim_customer\" (customer_key) VALUES (-2) ON CONFLICT DO NOTHING"),
                quiet(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, "an index on an applier table",
                        "CREATE INDEX CONCURRENTLY dim_customer_city ON dw.dim_customer (city)"),
                quiet(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, "a view over applier tables",
                        "CREATE VIEW dw.customer_cities AS SELECT city, count(*) FROM dw.dim_customer GROUP BY city"),
                quiet(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, "a write into a table of the user's own",
                        "INSERT INTO dw.segments (name) SELECT DISTINCT segment FROM dw.dim_customer"),
                quiet(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, "COPY … TO reads",
                        "COPY dw.dim_customer TO STDOUT"),
                new Case(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, false, "a generated script",
                        List.of(Script.generated("V4__g.sql", "UPDATE dw.dim_customer SET city = 'x'", Phase.EXPAND)),
                        CONTEXT),

                new Case(LintRule.KEY_CHANGE_WITHOUT_REBUILD, true, "a script alters the target's table",
                        List.of(Script.generated("V5__g.sql", "ALTER TABLE dw.dim_customer ADD COLUMN region text",
                                Phase.EXPAND)), CONTEXT.withKeyChangesWithoutRebuild(List.of(
                                        new KeyChange("customer", "dw.dim_customer", "key id → (id, region)")))),
                new Case(LintRule.KEY_CHANGE_WITHOUT_REBUILD, true, "no script touches it: the deployment",
                        List.of(), CONTEXT.withKeyChangesWithoutRebuild(List.of(
                                new KeyChange("order_line", "fact_order_line", "grain [id] → [order_id, id]")))),
                new Case(LintRule.KEY_CHANGE_WITHOUT_REBUILD, false, "no key change",
                        List.of(Script.generated("V5__g.sql", "ALTER TABLE dw.dim_customer ADD COLUMN region text",
                                Phase.EXPAND)), CONTEXT),

                fires(LintRule.UNPARSED_STATEMENT, "a DO block",
                        "DO $$ BEGIN UPDATE dw.dim_customer SET city = 'x'; END $$"),
                fires(LintRule.UNPARSED_STATEMENT, "not SQL", "ALTER TABLE"),
                fires(LintRule.UNPARSED_STATEMENT, "an unterminated quoted identifier", "SELECT \""),
                fires(LintRule.UNPARSED_STATEMENT, "a trigger (JSqlParser only wraps it)",
                        "CREATE TRIGGER t BEFORE UPDATE ON dw.dim_customer FOR EACH ROW EXECUTE FUNCTION dw.f()"),
                quiet(LintRule.UNPARSED_STATEMENT, "a function with a dollar-quoted body",
                        "CREATE FUNCTION dw.one() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql"),
                quiet(LintRule.UNPARSED_STATEMENT, "COMMENT ON", "COMMENT ON COLUMN dw.orders.amount IS 'gross; in EUR'"),
                quiet(LintRule.UNPARSED_STATEMENT, "GRANT", "GRANT USAGE ON SCHEMA dw TO analyst"),
                quiet(LintRule.UNPARSED_STATEMENT, "statements JSqlParser rejects but no rule concerns",
                        "BEGIN; CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE TYPE dw.mood AS ENUM ('ok', 'sad'); "
                                + "COMMENT ON SCHEMA dw IS 'star'; COMMIT"),
                quiet(LintRule.UNPARSED_STATEMENT, "UPDATE ONLY (read by the token path)",
                        "UPDATE ONLY dw.segments SET name = lower(name)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shouldFireExactlyWhenTheCaseSays(Case c) {
        LintReport report = MigrationLint.lint(c.scripts(), c.context());

        List<Finding> found = findings(report).stream().filter(f -> f.rule() == c.rule()).toList();

        if (c.fires()) {
            assertThat(found).as(c.toString()).isNotEmpty();
            assertThat(found.get(0).detail()).as(c.toString()).isNotBlank();
            assertThat(found.get(0).format()).contains(c.rule().id(), c.rule().safeAlternative());
        } else {
            assertThat(found).as(c.toString()).isEmpty();
        }
    }

    @Test
    void shouldCoverEveryRuleWithACaseThatFiresAndOneThatDoesNot() {
        Set<LintRule> firing = EnumSet.noneOf(LintRule.class);
        Set<LintRule> quiet = EnumSet.noneOf(LintRule.class);
        cases().forEach(c -> (c.fires() ? firing : quiet).add(c.rule()));

        assertThat(firing).containsExactlyInAnyOrder(LintRule.values());
        assertThat(quiet).containsExactlyInAnyOrder(LintRule.values());
    }

    @Test
    void shouldLocateAFindingByFileStatementAndLine() {
        String sql = """
                SET lock_timeout = '5s';
                -- widen the amount
                ALTER TABLE dw.orders
                    ADD COLUMN note text,
                    ALTER COLUMN amount TYPE numeric(14, 2);
                """;

        LintReport report = MigrationLint.lint(List.of(handWritten(Phase.EXPAND, sql)), CONTEXT);

        assertThat(report.blocking()).singleElement().satisfies(f -> {
            assertThat(f.rule()).isEqualTo(LintRule.CHANGING_COLUMN_TYPE);
            assertThat(f.file()).isEqualTo("V9__hand.sql");
            assertThat(f.statement()).isEqualTo(2);
            assertThat(f.line()).isEqualTo(5);
            assertThat(f.detail()).isEqualTo("changes the type of dw.orders.amount");
            assertThat(f.format()).startsWith("V9__hand.sql:5: error: changing-column-type (statement 2): ");
        });
    }

    @Test
    void shouldReportAKeyChangeNobodyTouchesAgainstTheDeployment() {
        LintContext context = CONTEXT.withKeyChangesWithoutRebuild(List.of(
                new KeyChange("order_line", "fact_order_line", "grain [id] → [order_id, id]")));

        LintReport report = MigrationLint.lint(List.of(), context);

        assertThat(report.blocking()).singleElement().satisfies(f -> {
            assertThat(f.file()).isEqualTo(Finding.DEPLOYMENT);
            assertThat(f.statement()).isZero();
            assertThat(f.detail()).isEqualTo("target order_line (dw.fact_order_line): grain [id] → [order_id, id]");
        });
    }

    @Test
    void shouldReportASafeScriptClean() {
        String sql = """
                SET lock_timeout = '5s';
                ALTER TABLE dw.orders ADD COLUMN segment text DEFAULT 'none';
                ALTER TABLE dw.orders ADD CONSTRAINT segment_known CHECK (segment <> '') NOT VALID;
                ALTER TABLE dw.orders VALIDATE CONSTRAINT segment_known;
                CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_segment ON dw.orders (segment);
                CREATE VIEW dw.orders_by_segment AS SELECT segment, count(*) AS n FROM dw.orders GROUP BY segment;
                """;

        LintReport report = MigrationLint.lint(List.of(handWritten(Phase.EXPAND, sql)), CONTEXT);

        assertThat(findings(report)).isEmpty();
        assertThat(report.blocksDeploy()).isFalse();
    }

    static List<Finding> findings(LintReport report) {
        return Stream.of(report.blocking().stream(), report.warnings().stream(),
                report.allowed().stream().map(LintReport.Allowed::finding)).flatMap(s -> s).toList();
    }

    private static Case fires(LintRule rule, String name, String sql) {
        return new Case(rule, true, name, List.of(handWritten(Phase.EXPAND, sql)), CONTEXT);
    }

    private static Case quiet(LintRule rule, String name, String sql) {
        return quiet(rule, name, Phase.EXPAND, sql);
    }

    private static Case quiet(LintRule rule, String name, Phase phase, String sql) {
        return new Case(rule, false, name, List.of(handWritten(phase, sql)), CONTEXT);
    }

    static Script handWritten(Phase phase, String sql) {
        return Script.handWritten("V9__hand.sql", sql, phase, true);
    }

}
