package dev.lockstep.migrations.lint;

import java.nio.charset.StandardCharsets;

/**
 * One lexical token of a SQL statement, comments removed. A {@link Kind#WORD} is an unquoted keyword or identifier;
 * {@link #name()} gives an identifier as PostgreSQL stores it (unquoted: ASCII letters folded to lower case; quoted:
 * as written, doubled quotes undone).
 */
record Token(Kind kind, String text, int line) {

    enum Kind { WORD, QUOTED_IDENTIFIER, STRING, DOLLAR_BODY, NUMBER, SYMBOL }

    /** Tells whether this is the unquoted word {@code keyword}, case-insensitively. */
    boolean is(String keyword) {
        return kind == Kind.WORD && text.equalsIgnoreCase(keyword);
    }

    /** Tells whether this is the symbol {@code symbol}. */
    boolean isSymbol(String symbol) {
        return kind == Kind.SYMBOL && text.equals(symbol);
    }

    boolean isIdentifier() {
        return kind == Kind.WORD || kind == Kind.QUOTED_IDENTIFIER;
    }

    /** Returns the identifier as the catalog stores it (a quoted one left open at the end of a script too). */
    String name() {
        return switch (kind) {
            case WORD -> foldAscii(text);
            case QUOTED_IDENTIFIER -> (text.length() > 1 && text.endsWith("\"")
                    ? text.substring(1, text.length() - 1) : text.substring(1)).replace("\"\"", "\"");
            default -> text;
        };
    }

    /** Returns the length of {@link #name()} in UTF-8 bytes, which PostgreSQL limits to 63. */
    int nameBytes() {
        return name().getBytes(StandardCharsets.UTF_8).length;
    }

    /** Folds ASCII letters only, as PostgreSQL does for unquoted identifiers in a multibyte encoding. */
    static String foldAscii(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
        }
        return b.toString();
    }
}
