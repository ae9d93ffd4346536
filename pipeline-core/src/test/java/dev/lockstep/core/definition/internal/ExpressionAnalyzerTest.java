package dev.lockstep.core.definition.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lockstep.core.definition.ProblemType;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ExpressionAnalyzerTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "quantity * unit_price",
        "coalesce(city, 'Unknown')",
        "price::numeric(12,2)",
        "extract(epoch from created_at)",
        "a is not distinct from b",
        "first_name || ' ' || last_name",
        "now() - interval '1 day'",
        "email ~* '^[a-z]+@'",
        "case when total > 100 then 'large' else 'small' end",
        "status = any(array['paid', 'shipped'])",
        "payload ->> 'sku'",
        "date_trunc('month', created_at at time zone 'Europe/Paris')",
        "cast(quantity as bigint)",
        "lower(email) similar to '%@example.com'",
        "created_at::date",
        "round(total * (1 - discount / 100.0), 2)",
        "x between 1 and 5 and y in (1, 2, 3)",
        "nullif(a, 0) is null",
        "current_date - signup_date",
        "E'it\\'s' || name",
        "$$dollar quoted$$ || name",
        "name collate \"C\" < 'm'",
        "\"Order\" + 1",
        "greatest(a, b) -- a comment",
        "a /* nested /* comment */ */ + b",
        "split_part(email, '@', 2)",
        "tags[1]",
        "substring(sku from 1 for 3) || '-'",
        "trim(both ' ' from name)",
        "position('@' in email) > 0",
        "overlay(sku placing 'X' from 1 for 1)",
        "round(substring(code from 2)::numeric, 2)",
    })
    void shouldAcceptPostgresExpressions(String sql) {
        ExpressionAnalyzer.Analysis analysis = ExpressionAnalyzer.analyze(sql);

        assertThat(analysis.issues()).isEmpty();
        assertThat(analysis.parsed()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '^', value = {
        "quantity *                 | 9  | EXPRESSION_SYNTAX      | the expression ends too early, after `*`",
        "round(a * b c, 2)          | 12 | EXPRESSION_SYNTAX      | syntax error at `c`",
        "coalesce(a, b              | 8  | EXPRESSION_SYNTAX      | `(` is never closed",
        "a + b)                     | 5  | EXPRESSION_SYNTAX      | `)` has no matching `(`",
        "'unterminated              | 0  | EXPRESSION_SYNTAX      | string literal is never closed",
        "a; drop table x            | 1  | EXPRESSION_SYNTAX      | `;` ends a statement",
        "`name` = 'x'               | 0  | EXPRESSION_SYNTAX      | backquotes are MySQL syntax",
        "total / sum(total)         | 8  | EXPRESSION_NOT_ALLOWED | `sum()` is an aggregate",
        "row_number() over ()       | 0  | EXPRESSION_NOT_ALLOWED | aggregate or window function",
        "(select 1)                 | 0  | EXPRESSION_NOT_ALLOWED | subqueries are not allowed",
        "exists (select 1)          | 7  | EXPRESSION_NOT_ALLOWED | subqueries are not allowed",
        "unnest(tags)               | 0  | EXPRESSION_NOT_ALLOWED | returns a set of rows",
        "order + 1                  | 0  | RESERVED_WORD          | quote the column as \"order\"",
        "a.b.c                      | 0  | EXPRESSION_SCOPE       | too many qualifiers",
        "x = $1                     | 4  | EXPRESSION_SYNTAX      | parameters such as $1",
    })
    void shouldRefuseWithAPositionAndAReason(String sql, int offset, ProblemType type, String message) {
        ExpressionAnalyzer.Analysis analysis = ExpressionAnalyzer.analyze(sql);

        assertThat(analysis.issues()).first().satisfies(issue -> {
            assertThat(issue.type()).isEqualTo(type);
            assertThat(issue.offset()).isEqualTo(offset);
            assertThat(issue.message()).contains(message);
        });
    }

    @Test
    void shouldListTheColumnsItUsesWithTheirQualifiers() {
        ExpressionAnalyzer.Analysis analysis = ExpressionAnalyzer.analyze(
                "coalesce(cat.name, \"Label\", lower(Title)) || current_user");

        assertThat(analysis.columns()).extracting(ExpressionAnalyzer.ColumnUse::toString)
                .containsExactly("cat.name", "Label", "title");
        assertThat(analysis.columns().get(0).qualifier()).isEqualTo(Optional.of("cat"));
        assertThat(analysis.columns().get(0).offset()).isEqualTo(9);
    }

    @Test
    void shouldLeaveToPostgresOnlyWhatIsLexicallyOneExpression() {
        assertThat(ExpressionAnalyzer.analyze("name ^@ 'a'").deferrable()).isTrue();
        assertThat(ExpressionAnalyzer.analyze("1); drop table t; select (1").deferrable()).isFalse();
        assertThat(ExpressionAnalyzer.analyze("a + (b").deferrable()).isFalse();
        assertThat(ExpressionAnalyzer.analyze("a + b").deferrable()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"((((((((((((((((((((1 + 2 3))))))))))))))))))))",
        "f(g(h(i(j(k(l(m(n(o(p(q(r(s(t(u(v(w(1 +)))))))))))))))))))",
        "(((((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))))))))",
        "((((((((((((((((((((((((((((((((((((((((((((((((1 +",
        "substring((((((x from 1 for 3 4)))))) from 1)",
        "trim(both ' ' from ((((((((a + b c))))))))"})
    void shouldAnswerQuicklyEvenForPathologicalNesting(String sql) {
        assertTimeoutPreemptively(Duration.ofSeconds(3), () -> ExpressionAnalyzer.analyze(sql + " "));
    }
}
