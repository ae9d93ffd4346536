package dev.lockstep.migrations.lint;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Splitting a script into statements: a {@code ;} ends one only outside comments, literals and bodies. */
class LintStatementSplittingTest {

    @Test
    void shouldSplitOnSemicolonsAndSkipEmptyStatements() {
        List<SqlStatement> statements = SqlScanner.split("SET lock_timeout = '5s';;\n ALTER TABLE t ADD COLUMN c int ;\n");

        assertThat(statements).extracting(SqlStatement::text)
                .containsExactly("SET lock_timeout = '5s'", "ALTER TABLE t ADD COLUMN c int");
        assertThat(statements).extracting(SqlStatement::number).containsExactly(1, 2);
    }

    @Test
    void shouldIgnoreSemicolonsInCommentsAndLiterals() {
        String sql = """
                -- a comment; not a statement
                COMMENT ON TABLE t IS 'a; b ''quoted; too''';
                /* block; /* nested; */ still comment; */ SELECT "odd;name" FROM t;
                SELECT E'it\\'s; escaped' AS x
                """;

        List<SqlStatement> statements = SqlScanner.split(sql);

        assertThat(statements).extracting(SqlStatement::text).containsExactly(
                "COMMENT ON TABLE t IS 'a; b ''quoted; too'''",
                "SELECT \"odd;name\" FROM t",
                "SELECT E'it\\'s; escaped' AS x");
        assertThat(statements.get(1).tokens()).extracting(Token::text)
                .containsExactly("SELECT", "\"odd;name\"", "FROM", "t");
    }

    @Test
    void shouldKeepDollarQuotedAndAtomicBodiesWhole() {
        String sql = """
                CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
                DO $body$ BEGIN PERFORM 1; RAISE NOTICE '$$;'; END $body$;
                CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;
                SELECT $1
                """;

        List<SqlStatement> statements = SqlScanner.split(sql);

        assertThat(statements).hasSize(4);
        assertThat(statements.get(1).tokens()).extracting(Token::kind)
                .containsExactly(Token.Kind.WORD, Token.Kind.DOLLAR_BODY);
        assertThat(statements.get(2).text()).endsWith("SELECT CASE WHEN true THEN 2 END; END");
        assertThat(statements.get(3).tokens()).extracting(Token::text).containsExactly("SELECT", "$", "1");
    }

    @Test
    void shouldNumberLinesFromTheStartOfTheScript() {
        String sql = "/* header\n   two lines */\nSET lock_timeout = '1s';\n\nALTER TABLE t\n  ADD COLUMN c int;";

        List<SqlStatement> statements = SqlScanner.split(sql);

        assertThat(statements).extracting(SqlStatement::line).containsExactly(3, 5);
        assertThat(statements.get(1).tokens().get(3).line()).isEqualTo(6);
    }

    @Test
    void shouldFoldUnquotedIdentifiersAndKeepQuotedOnes() {
        List<Token> tokens = SqlScanner.split("SELECT Dim_Customer, \"Dim_Customer\", \"a\"\"b\"").get(0).tokens();

        assertThat(tokens).filteredOn(Token::isIdentifier).extracting(Token::name)
                .containsExactly("select", "dim_customer", "Dim_Customer", "a\"b");
    }

    @Test
    void shouldCountIdentifierLengthInUtf8Bytes() {
        Token name = SqlScanner.split("\"" + "ü".repeat(32) + "\"").get(0).tokens().get(0);

        assertThat(name.name()).hasSize(32);
        assertThat(name.nameBytes()).isEqualTo(64);
    }
}
