package dev.lockstep.migrations.lint;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a script into statements and each statement into tokens, as PostgreSQL's lexer does: {@code --} and
 * (nested) {@code /* *}{@code /} comments are dropped; string literals ({@code '…'} with doubled quotes,
 * {@code E'…'} with backslash escapes), quoted identifiers and dollar-quoted bodies ({@code $$…$$},
 * {@code $tag$…$tag$}) are single tokens, so a {@code ;} inside any of them never ends a statement. A
 * {@code BEGIN ATOMIC … END} function body is kept whole too.
 */
final class SqlScanner {

    private final String sql;
    private int pos;
    private int line = 1;

    private SqlScanner(String sql) {
        this.sql = sql;
    }

    /** Returns the script's statements in order, numbered from 1; statements holding only comments are skipped. */
    static List<SqlStatement> split(String script) {
        return new SqlScanner(script).statements();
    }

    private List<SqlStatement> statements() {
        List<SqlStatement> statements = new ArrayList<>();
        List<Token> tokens = new ArrayList<>();
        int start = -1;
        int atomicDepth = 0;
        while (true) {
            skipSpaceAndComments();
            if (pos >= sql.length()) {
                break;
            }
            int tokenStart = pos;
            Token token = next();
            if (token.isSymbol(";") && atomicDepth == 0) {
                add(statements, tokens, start, tokenStart);
                tokens = new ArrayList<>();
                start = -1;
                continue;
            }
            if (start < 0) {
                start = tokenStart;
            }
            atomicDepth = atomicDepth(tokens, token, atomicDepth);
            tokens.add(token);
        }
        add(statements, tokens, start, sql.length());
        return statements;
    }

    private void add(List<SqlStatement> statements, List<Token> tokens, int start, int end) {
        if (!tokens.isEmpty()) {
            statements.add(new SqlStatement(statements.size() + 1, tokens.get(0).line(),
                    sql.substring(start, end).strip(), List.copyOf(tokens)));
        }
    }

    /** Counts BEGIN/CASE … END nesting once {@code BEGIN ATOMIC} opened a function body. */
    private static int atomicDepth(List<Token> before, Token token, int depth) {
        if (token.is("ATOMIC") && !before.isEmpty() && before.get(before.size() - 1).is("BEGIN")) {
            return depth + 1;
        }
        if (depth > 0 && (token.is("BEGIN") || token.is("CASE"))) {
            return depth + 1;
        }
        if (depth > 0 && token.is("END")) {
            return depth - 1;
        }
        return depth;
    }

    private void skipSpaceAndComments() {
        while (pos < sql.length()) {
            char c = sql.charAt(pos);
            if (Character.isWhitespace(c)) {
                advance(1);
            } else if (sql.startsWith("--", pos)) {
                int end = sql.indexOf('\n', pos);
                advance((end < 0 ? sql.length() : end) - pos);
            } else if (sql.startsWith("/*", pos)) {
                skipBlockComment();
            } else {
                return;
            }
        }
    }

    private void skipBlockComment() {
        int depth = 0;
        do {
            if (sql.startsWith("/*", pos)) {
                depth++;
                advance(2);
            } else if (sql.startsWith("*/", pos)) {
                depth--;
                advance(2);
            } else {
                advance(1);
            }
        } while (depth > 0 && pos < sql.length());
    }

    private Token next() {
        int startLine = line;
        int start = pos;
        char c = sql.charAt(pos);
        Token.Kind kind;
        if ((c == 'E' || c == 'e') && pos + 1 < sql.length() && sql.charAt(pos + 1) == '\'') {
            advance(1);
            quoted('\'', true);
            kind = Token.Kind.STRING;
        } else if (c == '\'') {
            quoted('\'', false);
            kind = Token.Kind.STRING;
        } else if (c == '"') {
            quoted('"', false);
            kind = Token.Kind.QUOTED_IDENTIFIER;
        } else if (c == '$' && dollarTag() != null) {
            dollarBody(dollarTag());
            kind = Token.Kind.DOLLAR_BODY;
        } else if (Character.isLetter(c) || c == '_') {
            while (pos < sql.length() && isWordPart(sql.charAt(pos))) {
                advance(1);
            }
            kind = Token.Kind.WORD;
        } else if (Character.isDigit(c)) {
            while (pos < sql.length() && (Character.isLetterOrDigit(sql.charAt(pos)) || sql.charAt(pos) == '.')) {
                advance(1);
            }
            kind = Token.Kind.NUMBER;
        } else {
            advance(sql.startsWith("::", pos) ? 2 : 1);
            kind = Token.Kind.SYMBOL;
        }
        return new Token(kind, sql.substring(start, pos), startLine);
    }

    private static boolean isWordPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    /** Consumes a literal opened by {@code quote} at {@code pos}; a doubled quote (or a backslash escape) stays in. */
    private void quoted(char quote, boolean backslashEscapes) {
        advance(1);
        while (pos < sql.length()) {
            char c = sql.charAt(pos);
            if (backslashEscapes && c == '\\') {
                advance(Math.min(2, sql.length() - pos));
            } else if (c == quote && pos + 1 < sql.length() && sql.charAt(pos + 1) == quote) {
                advance(2);
            } else if (c == quote) {
                advance(1);
                return;
            } else {
                advance(1);
            }
        }
    }

    /** Returns the dollar-quote tag ({@code $$} or {@code $name$}) at {@code pos}, or null if there is none. */
    private String dollarTag() {
        int i = pos + 1;
        if (i < sql.length() && Character.isDigit(sql.charAt(i))) {
            return null; // $1 is a parameter
        }
        while (i < sql.length() && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_')) {
            i++;
        }
        return i < sql.length() && sql.charAt(i) == '$' ? sql.substring(pos, i + 1) : null;
    }

    private void dollarBody(String tag) {
        int end = sql.indexOf(tag, pos + tag.length());
        advance((end < 0 ? sql.length() : end + tag.length()) - pos);
    }

    private void advance(int n) {
        for (int i = 0; i < n; i++) {
            if (sql.charAt(pos + i) == '\n') {
                line++;
            }
        }
        pos += n;
    }
}
