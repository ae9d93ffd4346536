package dev.lockstep.core.definition.internal;

import dev.lockstep.core.definition.ProblemType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.sf.jsqlparser.expression.AnalyticExpression;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.ExpressionVisitorAdapter;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.expression.JdbcNamedParameter;
import net.sf.jsqlparser.expression.JdbcParameter;
import net.sf.jsqlparser.parser.ASTNodeAccess;
import net.sf.jsqlparser.parser.CCJSqlParser;
import net.sf.jsqlparser.parser.CCJSqlParserTokenManager;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.parser.ParseException;
import net.sf.jsqlparser.parser.SimpleNode;
import net.sf.jsqlparser.parser.Token;
import net.sf.jsqlparser.parser.TokenMgrException;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.ParenthesedSelect;
import net.sf.jsqlparser.statement.select.Select;

/**
 * Reads a PostgreSQL expression offline with JSqlParser: its syntax, the columns it uses, and constructs that
 * cannot be evaluated per row (aggregates, window functions, subqueries, set-returning functions).
 *
 * <p>Results are cached by text; the analyzer is thread-safe.
 */
public final class ExpressionAnalyzer {

    /** The longest expression accepted, in characters. */
    public static final int MAX_LENGTH = 10_000;

    private static final int CACHE_SIZE = 4096;
    private static final Map<String, Analysis> CACHE = new ConcurrentHashMap<>();

    static final Set<String> AGGREGATES = Set.of(
            "avg", "bit_and", "bit_or", "bit_xor", "bool_and", "bool_or", "count", "every", "json_agg", "jsonb_agg",
            "json_object_agg", "jsonb_object_agg", "max", "min", "string_agg", "sum", "array_agg", "xmlagg",
            "corr", "covar_pop", "covar_samp", "regr_avgx", "regr_avgy", "regr_count", "regr_intercept", "regr_r2",
            "regr_slope", "regr_sxx", "regr_sxy", "regr_syy", "stddev", "stddev_pop", "stddev_samp", "variance",
            "var_pop", "var_samp", "mode", "percentile_cont", "percentile_disc", "range_agg", "range_intersect_agg",
            "any_value", "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
            "first_value", "last_value", "nth_value");
    static final Set<String> SET_RETURNING = Set.of(
            "unnest", "generate_series", "generate_subscripts", "regexp_matches", "regexp_split_to_table",
            "json_array_elements", "json_array_elements_text", "jsonb_array_elements", "jsonb_array_elements_text",
            "json_each", "json_each_text", "jsonb_each", "jsonb_each_text", "json_object_keys", "jsonb_object_keys",
            "json_populate_recordset", "jsonb_populate_recordset", "json_to_recordset", "jsonb_to_recordset",
            "jsonb_path_query", "string_to_table");

    /** Reserved words that are part of expression syntax, so never a column someone forgot to quote. */
    private static final Set<String> OPERATOR_WORDS = Set.of("is", "and", "or", "not", "in", "like", "ilike",
            "similar", "between", "isnull", "notnull", "as", "collate", "case", "when", "then", "else", "end", "cast",
            "array", "any", "some", "all", "distinct", "both", "leading", "trailing", "overlaps", "from", "for", "on",
            "using", "symmetric", "asymmetric", "only", "do", "with", "into", "fetch", "except", "intersect", "union",
            "placing");

    /** Words of PostgreSQL's special call syntax, which only JSqlParser's complex mode reads. */
    private static final Set<String> SPECIAL_SYNTAX = Set.of("from", "for", "placing", "both", "leading",
            "trailing", "similar", "escape", "substring", "overlay", "trim", "position", "extract", "normalize");

    /** How long a complex-mode parse may take before it is stopped, in milliseconds. */
    private static final long COMPLEX_BUDGET_MS = 200;

    private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread thread = new Thread(r, "lockstep-sql-parse-watchdog");
                thread.setDaemon(true);
                return thread;
            });

    private ExpressionAnalyzer() {}

    /** A column the expression uses: {@code qualifier.column} or just {@code column}; offset in the text. */
    public record ColumnUse(Optional<String> qualifier, String column, int offset) {
        @Override
        public String toString() {
            return qualifier.map(q -> q + ".").orElse("") + column;
        }
    }

    /** A problem at a character offset of the expression. */
    public record Issue(ProblemType type, int offset, String message) {}

    /**
     * What the analysis found; {@code parsed} is false when the SQL parser could not read the expression (then
     * {@code columns} is empty and {@code issues} holds the syntax error). {@code deferrable} is true when only the
     * SQL parser failed, after the lexical checks passed (one expression: balanced brackets, no {@code ;}, strings
     * and comments closed), so that PostgreSQL may safely be asked to judge it.
     */
    public record Analysis(boolean parsed, boolean deferrable, List<ColumnUse> columns, List<Issue> issues) {}

    /** Analyzes an expression. */
    public static Analysis analyze(String sql) {
        Analysis cached = CACHE.get(sql);
        if (cached != null) {
            return cached;
        }
        Analysis analysis = analyzeUncached(sql);
        if (CACHE.size() >= CACHE_SIZE) {
            CACHE.clear();
        }
        CACHE.put(sql, analysis);
        return analysis;
    }

    private static Analysis analyzeUncached(String sql) {
        if (sql.length() > MAX_LENGTH) {
            return new Analysis(false, false, List.of(), List.of(new Issue(ProblemType.EXPRESSION_NOT_ALLOWED, 0,
                    "the expression is " + sql.length() + " characters long; at most " + MAX_LENGTH + " are allowed")));
        }
        SqlLexer.Lexed lexed = SqlLexer.lex(sql);
        if (!lexed.issues().isEmpty()) {
            SqlLexer.Issue issue = lexed.issues().get(0);
            return new Analysis(false, false, List.of(), List.of(new Issue(ProblemType.EXPRESSION_SYNTAX, issue.offset(),
                    "syntax error: " + issue.message())));
        }
        Expression expression;
        try {
            CCJSqlParser parser = CCJSqlParserUtil.newParser(lexed.forParser()).withAllowComplexParsing(false);
            expression = parser.Expression();
            Token next = parser.getNextToken();
            if (next != null && next.kind != CCJSqlParserTokenManager.EOF) {
                expression = complex(lexed).orElse(null);
                if (expression == null) {
                    return syntaxError(sql, next, lexed);
                }
            }
        } catch (ParseException e) {
            expression = complex(lexed).orElse(null);
            if (expression == null) {
                return syntaxError(sql, e.currentToken == null ? null : e.currentToken.next, lexed);
            }
        } catch (TokenMgrException e) {
            return new Analysis(false, true, List.of(), List.of(new Issue(ProblemType.EXPRESSION_SYNTAX,
                    lexicalOffset(sql, e.getMessage()), "syntax error: a character PostgreSQL does not expect here")));
        } catch (RuntimeException | StackOverflowError e) {
            return new Analysis(false, true, List.of(), List.of(new Issue(ProblemType.EXPRESSION_SYNTAX, 0,
                    "syntax error: the expression cannot be read")));
        }
        if (expression == null) {
            return new Analysis(false, true, List.of(), List.of(new Issue(ProblemType.EXPRESSION_SYNTAX, 0,
                    "syntax error: the expression cannot be read")));
        }
        Walker walker = new Walker(sql, lexed.words());
        try {
            expression.accept(walker, null);
        } catch (RuntimeException | StackOverflowError e) {
            // The visitor is best effort; what it found so far still holds.
        }
        return new Analysis(true, false, List.copyOf(walker.columns), List.copyOf(walker.issues));
    }

    /**
     * Parses again with JSqlParser's complex mode, which reads PostgreSQL's special call syntax
     * ({@code substring(x from 1 for 3)}, {@code trim(both ' ' from x)}) but can take exponential time on errors:
     * only for expressions that use such syntax, and stopped after {@link #COMPLEX_BUDGET_MS}.
     */
    private static Optional<Expression> complex(SqlLexer.Lexed lexed) {
        boolean special = lexed.words().stream().anyMatch(w -> !w.quoted()
                && SPECIAL_SYNTAX.contains(w.text().toLowerCase(Locale.ROOT)));
        if (!special) {
            return Optional.empty();
        }
        CCJSqlParser parser = CCJSqlParserUtil.newParser(lexed.forParser()).withAllowComplexParsing(true);
        java.util.concurrent.ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
            parser.interrupted = true;
        }, COMPLEX_BUDGET_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        try {
            Expression expression = parser.Expression();
            Token next = parser.getNextToken();
            return next == null || next.kind == CCJSqlParserTokenManager.EOF ? Optional.ofNullable(expression)
                    : Optional.empty();
        } catch (ParseException | RuntimeException | StackOverflowError e) {
            return Optional.empty();
        } finally {
            watchdog.cancel(false);
        }
    }

    private static Analysis syntaxError(String sql, Token token, SqlLexer.Lexed lexed) {
        if (token == null || token.kind == CCJSqlParserTokenManager.EOF || token.image == null
                || token.image.isEmpty()) {
            return new Analysis(false, true, List.of(), List.of(new Issue(ProblemType.EXPRESSION_SYNTAX,
                    sql.stripTrailing().length(), "syntax error: the expression ends too early")));
        }
        int offset = offset(sql, token.beginLine, token.beginColumn);
        String image = sql.substring(offset, Math.min(sql.length(), offset + token.image.length()));
        if (image.equals("(")) {
            Optional<Issue> inner = insideCall(sql, offset, lexed);
            if (inner.isPresent()) {
                return new Analysis(false, true, List.of(), List.of(inner.get()));
            }
        }
        boolean last = offset + image.length() >= sql.stripTrailing().length();
        String message = last && !Character.isLetterOrDigit(image.charAt(0))
                ? "syntax error: the expression ends too early, after `" + image + "`"
                : "syntax error at `" + image + "`";
        String word = image.toLowerCase(Locale.ROOT);
        if (Names.isReserved(word) && !Names.VALUE_KEYWORDS.contains(word) && !OPERATOR_WORDS.contains(word)) {
            message += "; `" + image + "` is a reserved word in PostgreSQL: quote a column of that name as \""
                    + image.toLowerCase(Locale.ROOT) + "\"";
        }
        return new Analysis(false, true, List.of(), List.of(new Issue(ProblemType.EXPRESSION_SYNTAX, offset, message)));
    }

    /**
     * JSqlParser blames a call's {@code (} for any error among its arguments; parse each argument alone and, if one
     * fails, report its error at its own position.
     */
    private static Optional<Issue> insideCall(String sql, int open, SqlLexer.Lexed lexed) {
        String text = lexed.forParser();
        int depth = 0;
        int start = open + 1;
        List<int[]> arguments = new ArrayList<>();
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'') {
                int close = text.indexOf('\'', i + 1);
                i = close < 0 ? text.length() : close;
            } else if (c == '(' || c == '[') {
                depth++;
            } else if (c == ')' || c == ']') {
                depth--;
                if (depth == 0) {
                    arguments.add(new int[] {start, i});
                    break;
                }
            } else if (c == ',' && depth == 1) {
                arguments.add(new int[] {start, i});
                start = i + 1;
            }
        }
        for (int[] argument : arguments) {
            String part = sql.substring(argument[0], argument[1]);
            if (part.isBlank()) {
                continue;
            }
            Analysis analysis = analyzeUncached(part);
            if (!analysis.parsed() && !analysis.issues().isEmpty()) {
                Issue issue = analysis.issues().get(0);
                return Optional.of(new Issue(issue.type(), argument[0] + issue.offset(), issue.message()));
            }
        }
        return Optional.empty();
    }

    /** Converts JavaCC's 1-based line and column into an offset. */
    static int offset(String sql, int line, int column) {
        int offset = 0;
        for (int l = 1; l < line && offset < sql.length(); l++) {
            int nl = sql.indexOf('\n', offset);
            if (nl < 0) {
                return sql.length();
            }
            offset = nl + 1;
        }
        return Math.max(0, Math.min(sql.length(), offset + column - 1));
    }

    private static final Pattern LEXICAL_POSITION = Pattern.compile("line (\\d+), column (\\d+)");

    private static int lexicalOffset(String sql, String message) {
        Matcher m = LEXICAL_POSITION.matcher(String.valueOf(message));
        if (m.find()) {
            try {
                return Math.max(0, offset(sql, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))) - 1);
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }

    /** Collects columns and refuses what cannot be evaluated per row. */
    private static final class Walker extends ExpressionVisitorAdapter<Void> {
        private final String sql;
        private final List<SqlLexer.Word> words;
        private final List<ColumnUse> columns = new ArrayList<>();
        private final List<Issue> issues = new ArrayList<>();

        Walker(String sql, List<SqlLexer.Word> words) {
            this.sql = sql;
            this.words = words;
        }

        @Override
        public <S> Void visit(Column column, S context) {
            String name = unquote(column.getColumnName().replaceFirst("\\[.*$", ""));
            boolean quoted = column.getColumnName().startsWith("\"");
            Table table = column.getTable();
            String qualifier = table == null || table.getName() == null ? null : unquote(table.getName());
            int offset = position(column, name);
            if (qualifier == null && !quoted && Names.VALUE_KEYWORDS.contains(name.toLowerCase(Locale.ROOT))) {
                return null;
            }
            if (table != null && table.getSchemaName() != null) {
                issues.add(new Issue(ProblemType.EXPRESSION_SCOPE, offset, "`" + column.getFullyQualifiedName()
                        + "` has too many qualifiers; write column, or lookup.column"));
                return null;
            }
            if (!quoted && Names.isReserved(name)) {
                issues.add(new Issue(ProblemType.RESERVED_WORD, offset, "`" + name + "` is a reserved word in "
                        + "PostgreSQL; quote the column as \"" + name + "\""));
            }
            String folded = quoted ? name : name.toLowerCase(Locale.ROOT);
            String foldedQualifier = qualifier == null || table.getName().startsWith("\"") ? qualifier
                    : qualifier.toLowerCase(Locale.ROOT);
            columns.add(new ColumnUse(Optional.ofNullable(foldedQualifier), folded, offset));
            return null;
        }

        @Override
        public <S> Void visit(Function function, S context) {
            String name = function.getName() == null ? "" : unquote(function.getName()).toLowerCase(Locale.ROOT);
            int dot = name.lastIndexOf('.');
            String simple = dot < 0 ? name : name.substring(dot + 1);
            if (AGGREGATES.contains(simple)) {
                issues.add(new Issue(ProblemType.EXPRESSION_NOT_ALLOWED, position(function, simple), "`" + simple
                        + "()` is an aggregate or window function; expressions are evaluated on one row at a time "
                        + "(aggregate in queries over the warehouse instead)"));
                return null;
            }
            if (SET_RETURNING.contains(simple)) {
                issues.add(new Issue(ProblemType.EXPRESSION_NOT_ALLOWED, position(function, simple), "`" + simple
                        + "()` returns a set of rows; an expression must give one value per row"));
                return null;
            }
            return super.visit(function, context);
        }

        @Override
        public <S> Void visit(AnalyticExpression expression, S context) {
            String name = expression.getName() == null ? "over" : expression.getName().toLowerCase(Locale.ROOT);
            issues.add(new Issue(ProblemType.EXPRESSION_NOT_ALLOWED, position(expression, name), "`" + name
                    + "(…) OVER/FILTER` is an aggregate or window function; expressions are evaluated on one row at "
                    + "a time"));
            return null;
        }

        @Override
        public <S> Void visit(ParenthesedSelect select, S context) {
            return subquery(select);
        }

        @Override
        public <S> Void visit(Select select, S context) {
            return subquery(select);
        }

        private Void subquery(ASTNodeAccess node) {
            issues.add(new Issue(ProblemType.EXPRESSION_NOT_ALLOWED, position(node, "select"), "subqueries are not "
                    + "allowed; use a lookup to bring in another table's columns"));
            return null;
        }

        @Override
        public <S> Void visit(AllColumns allColumns, S context) {
            issues.add(new Issue(ProblemType.EXPRESSION_NOT_ALLOWED, position(allColumns, "*"),
                    "`*` is not allowed in an expression"));
            return null;
        }

        @Override
        public <S> Void visit(JdbcParameter parameter, S context) {
            issues.add(new Issue(ProblemType.EXPRESSION_NOT_ALLOWED, position(parameter, "?"),
                    "parameters are not allowed in a definition's expressions"));
            return null;
        }

        @Override
        public <S> Void visit(JdbcNamedParameter parameter, S context) {
            issues.add(new Issue(ProblemType.EXPRESSION_NOT_ALLOWED, position(parameter, ":"),
                    "parameters are not allowed in a definition's expressions"));
            return null;
        }

        /** Where a node starts: from the parser's tokens, else the first word of that name. */
        private int position(Object node, String name) {
            if (node instanceof ASTNodeAccess access) {
                SimpleNode ast = access.getASTNode();
                Token token = ast == null ? null : ast.jjtGetFirstToken();
                if (token != null && token.beginLine > 0) {
                    return offset(sql, token.beginLine, token.beginColumn);
                }
            }
            for (SqlLexer.Word word : words) {
                if (word.text().equalsIgnoreCase(name)) {
                    return word.offset();
                }
            }
            return 0;
        }

        private static String unquote(String name) {
            return name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")
                    ? name.substring(1, name.length() - 1).replace("\"\"", "\"") : name;
        }
    }
}
