package dev.lockstep.migrations.lint;

import java.util.List;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.UnsupportedStatement;

/**
 * One statement of a script: its number in the script (from 1), the line it starts on, its text (without the
 * closing {@code ;}) and its tokens (without comments).
 */
record SqlStatement(int number, int line, String text, List<Token> tokens) {

    /** Tells whether the statement starts with {@code keywords}, in order. */
    boolean startsWith(String... keywords) {
        return matchesAt(0, keywords);
    }

    /** Tells whether the tokens from {@code index} on are the words {@code keywords}. */
    boolean matchesAt(int index, String... keywords) {
        if (index + keywords.length > tokens.size()) {
            return false;
        }
        for (int i = 0; i < keywords.length; i++) {
            if (!tokens.get(index + i).is(keywords[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * Parses the statement with JSqlParser (the parser path); returns null when JSqlParser rejects it or only wraps
     * it in an {@link UnsupportedStatement}.
     */
    Statement parsed() {
        try {
            Statement parsed = CCJSqlParserUtil.parse(text);
            return parsed instanceof UnsupportedStatement ? null : parsed;
        } catch (JSQLParserException | RuntimeException | Error e) { // its token manager throws Errors
            return null;
        }
    }

    /** Returns the token at {@code index}, or null past the end. */
    Token at(int index) {
        return index < tokens.size() ? tokens.get(index) : null;
    }
}
