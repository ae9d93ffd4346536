package dev.lockstep.core.definition.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * PostgreSQL's lexical structure, enough to check an expression before the SQL parser sees it: strings (plain,
 * {@code E''}, {@code $$}), quoted identifiers, comments, balanced brackets, no {@code ;}. It also returns a copy
 * of the text, of the same length, that JSqlParser can read (strings it does not know become plain strings,
 * {@code COLLATE} clauses become blanks), so positions stay the same.
 */
final class SqlLexer {

    /** The deepest nesting of parentheses and brackets accepted. */
    static final int MAX_NESTING = 24;

    /** A problem at a character offset. */
    record Issue(int offset, String message) {}

    /** A word (identifier or key word) and where it is. */
    record Word(String text, int offset, boolean quoted) {}

    /** The result: problems, words, and the text for the parser. */
    record Lexed(List<Issue> issues, List<Word> words, String forParser) {}

    private final String sql;
    private final char[] out;
    private final List<Issue> issues = new ArrayList<>();
    private final List<Word> words = new ArrayList<>();
    private final Deque<int[]> open = new ArrayDeque<>();
    private int i;

    private SqlLexer(String sql) {
        this.sql = sql;
        this.out = sql.toCharArray();
    }

    static Lexed lex(String sql) {
        SqlLexer lexer = new SqlLexer(sql);
        lexer.run();
        return new Lexed(List.copyOf(lexer.issues), List.copyOf(lexer.words), new String(lexer.out));
    }

    private void run() {
        while (i < sql.length() && issues.isEmpty()) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '-' && next(1) == '-') {
                skipLineComment();
            } else if (c == '/' && next(1) == '*') {
                skipBlockComment();
            } else if (c == '\'') {
                string(i, false);
            } else if ((c == 'E' || c == 'e') && next(1) == '\'') {
                string(i, true);
            } else if ((c == 'U' || c == 'u') && next(1) == '&' && (next(2) == '\'' || next(2) == '"')) {
                blank(i, i + 2);
                i += 2;
            } else if (c == '"') {
                quotedIdentifier();
            } else if (c == '$') {
                dollar();
            } else if (c == '`') {
                issue(i, "backquotes are MySQL syntax; PostgreSQL quotes names with double quotes: \"name\"");
            } else if (c == ';') {
                issue(i, "`;` ends a statement; an expression cannot contain one");
            } else if (c == '(' || c == '[') {
                open.push(new int[] {c, i});
                if (open.size() > MAX_NESTING) {
                    issue(i, "nested more than " + MAX_NESTING + " levels deep");
                }
                i++;
            } else if (c == ')' || c == ']') {
                close(c);
            } else if (Character.isLetter(c) || c == '_') {
                word();
            } else {
                i++;
            }
        }
        if (issues.isEmpty() && !open.isEmpty()) {
            int[] first = open.peek();
            issue(first[1], "`" + (char) first[0] + "` is never closed");
        }
    }

    private char next(int ahead) {
        return i + ahead < sql.length() ? sql.charAt(i + ahead) : '\0';
    }

    private void issue(int offset, String message) {
        issues.add(new Issue(offset, message));
    }

    private void skipLineComment() {
        while (i < sql.length() && sql.charAt(i) != '\n' && sql.charAt(i) != '\r') {
            i++;
        }
    }

    private void skipBlockComment() {
        int start = i;
        int depth = 0;
        while (i < sql.length()) {
            if (sql.startsWith("/*", i)) {
                depth++;
                i += 2;
            } else if (sql.startsWith("*/", i)) {
                depth--;
                i += 2;
                if (depth == 0) {
                    blank(start, i);
                    return;
                }
            } else {
                i++;
            }
        }
        issue(start, "comment `/*` is never closed");
    }

    private void string(int start, boolean escapes) {
        i = start + (escapes ? 2 : 1);
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (escapes && c == '\\') {
                i += 2;
            } else if (c == '\'' && next(1) == '\'') {
                i += 2;
            } else if (c == '\'') {
                i++;
                if (escapes) {
                    plainString(start, i);
                }
                return;
            } else {
                i++;
            }
        }
        issue(start, "string literal is never closed; strings are quoted with '");
    }

    private void quotedIdentifier() {
        int start = i++;
        while (i < sql.length()) {
            if (sql.charAt(i) == '"' && next(1) == '"') {
                i += 2;
            } else if (sql.charAt(i) == '"') {
                i++;
                String name = sql.substring(start + 1, i - 1).replace("\"\"", "\"");
                if (name.isEmpty()) {
                    issue(start, "a quoted name cannot be empty (\"\")");
                }
                words.add(new Word(name, start, true));
                return;
            } else {
                i++;
            }
        }
        issue(start, "quoted name is never closed; names are quoted with \" and strings with '");
    }

    private void dollar() {
        int start = i;
        int j = i + 1;
        if (j < sql.length() && Character.isDigit(sql.charAt(j))) {
            issue(start, "parameters such as $1 are not allowed in a definition's expressions");
            return;
        }
        while (j < sql.length() && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
            j++;
        }
        if (j >= sql.length() || sql.charAt(j) != '$') {
            i++;
            return;
        }
        String tag = sql.substring(start, j + 1);
        int end = sql.indexOf(tag, j + 1);
        if (end < 0) {
            issue(start, "dollar-quoted string " + tag + " is never closed");
            return;
        }
        i = end + tag.length();
        plainString(start, i);
    }

    private void close(char c) {
        char expected = c == ')' ? '(' : '[';
        if (open.isEmpty()) {
            issue(i, "`" + c + "` has no matching `" + expected + "`");
        } else if (open.peek()[0] != expected) {
            issue(i, "`" + c + "` closes `" + (char) open.peek()[0] + "`");
        } else {
            open.pop();
            i++;
        }
    }

    private void word() {
        int start = i;
        while (i < sql.length() && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_'
                || sql.charAt(i) == '$')) {
            i++;
        }
        String text = sql.substring(start, i);
        words.add(new Word(text, start, false));
        if (text.toLowerCase(Locale.ROOT).equals("collate")) {
            blankCollation(start);
        }
    }

    /** JSqlParser does not read COLLATE; its clause changes no types, so the parser sees blanks instead. */
    private void blankCollation(int start) {
        int j = i;
        while (j < sql.length() && Character.isWhitespace(sql.charAt(j))) {
            j++;
        }
        int nameEnd = j;
        while (nameEnd < sql.length()) {
            char c = sql.charAt(nameEnd);
            if (c == '"') {
                int close = sql.indexOf('"', nameEnd + 1);
                nameEnd = close < 0 ? sql.length() : close + 1;
            } else if (Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-') {
                nameEnd++;
            } else {
                break;
            }
        }
        if (nameEnd > j) {
            blank(start, nameEnd);
            i = nameEnd;
        }
    }

    private void plainString(int start, int end) {
        out[start] = '\'';
        for (int k = start + 1; k < end - 1; k++) {
            out[k] = 'x';
        }
        out[end - 1] = '\'';
    }

    private void blank(int start, int end) {
        for (int k = start; k < end; k++) {
            if (!Character.isWhitespace(out[k])) {
                out[k] = ' ';
            }
        }
    }
}
