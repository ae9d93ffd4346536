package dev.lockstep.migrations.lint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An {@code ALTER TABLE} statement read by the token path: the table and its comma-separated actions.
 * JSqlParser's model is not used here because it rejects forms every rule needs ({@code NOT VALID},
 * {@code SET DATA TYPE}, {@code ADD COLUMN IF NOT EXISTS} with constraints), and one path for every action keeps the
 * rules consistent.
 */
record AlterTable(String table, List<Action> actions) {

    enum Kind {
        ADD_COLUMN, ADD_CONSTRAINT, SET_NOT_NULL, CHANGE_TYPE, DROP_COLUMN, RENAME_COLUMN, RENAME_TABLE,
        VALIDATE_CONSTRAINT, OTHER
    }

    /**
     * One action: its kind, its tokens (from the action's first keyword), the column it names (null if none) and,
     * for {@code ADD COLUMN}, the first token of the column's type (null otherwise).
     */
    record Action(Kind kind, List<Token> tokens, String column, Token type) {

        Action(Kind kind, List<Token> tokens, String column) {
            this(kind, tokens, column, null);
        }

        /** Tells whether the action has the word {@code keyword} outside parentheses. */
        boolean has(String keyword) {
            return topLevel().stream().anyMatch(t -> t.is(keyword));
        }

        /** Tells whether the words {@code first second} follow each other in the action, outside parentheses. */
        boolean hasPair(String first, String second) {
            List<Token> top = topLevel();
            for (int i = 0; i + 1 < top.size(); i++) {
                if (top.get(i).is(first) && top.get(i + 1).is(second)) {
                    return true;
                }
            }
            return false;
        }

        /** Returns the tokens after the first top-level {@code keyword} up to the next top-level word that ends it. */
        List<Token> after(String keyword, String... enders) {
            List<Token> tail = new ArrayList<>();
            int depth = 0;
            boolean in = false;
            for (Token t : tokens) {
                if (in && depth == 0 && Arrays.stream(enders).anyMatch(t::is)) {
                    break;
                }
                if (in) {
                    tail.add(t);
                } else if (depth == 0 && t.is(keyword)) {
                    in = true;
                }
                depth += t.isSymbol("(") ? 1 : t.isSymbol(")") ? -1 : 0;
            }
            return tail;
        }

        private List<Token> topLevel() {
            List<Token> top = new ArrayList<>();
            int depth = 0;
            for (Token t : tokens) {
                if (t.isSymbol("(")) {
                    depth++;
                } else if (t.isSymbol(")")) {
                    depth--;
                } else if (depth == 0) {
                    top.add(t);
                }
            }
            return top;
        }

        int line() {
            return tokens.isEmpty() ? 0 : tokens.get(0).line();
        }
    }

    /** Reads {@code statement} if it is an {@code ALTER TABLE} on one table, else returns null. */
    static AlterTable read(SqlStatement statement, String defaultSchema) {
        if (!statement.startsWith("ALTER", "TABLE")) {
            return null;
        }
        int i = 2;
        if (statement.matchesAt(i, "IF", "EXISTS")) {
            i += 2;
        }
        if (statement.matchesAt(i, "ONLY")) {
            i++;
        }
        QualifiedName name = QualifiedName.read(statement, i, defaultSchema);
        if (name == null || statement.matchesAt(i, "ALL", "IN")) {
            return null;
        }
        i = name.end();
        if (statement.at(i) != null && statement.at(i).isSymbol("*")) {
            i++;
        }
        List<Action> actions = new ArrayList<>();
        for (List<Token> tokens : splitTopLevel(statement.tokens().subList(i, statement.tokens().size()))) {
            actions.add(action(tokens));
        }
        return new AlterTable(name.qualified(), actions);
    }

    /** Splits tokens at commas outside parentheses. */
    private static List<List<Token>> splitTopLevel(List<Token> tokens) {
        List<List<Token>> parts = new ArrayList<>();
        List<Token> current = new ArrayList<>();
        int depth = 0;
        for (Token t : tokens) {
            if (t.isSymbol("(")) {
                depth++;
            } else if (t.isSymbol(")")) {
                depth--;
            } else if (t.isSymbol(",") && depth == 0) {
                parts.add(current);
                current = new ArrayList<>();
                continue;
            }
            current.add(t);
        }
        if (!current.isEmpty()) {
            parts.add(current);
        }
        return parts;
    }

    private static Action action(List<Token> t) {
        if (t.isEmpty()) {
            return new Action(Kind.OTHER, t, null);
        }
        Token first = t.get(0);
        if (first.is("ADD")) {
            int i = skip(t, 1, "COLUMN");
            if (i < t.size() && isConstraintStart(t.get(i))) {
                return new Action(Kind.ADD_CONSTRAINT, t, null);
            }
            i = skipIfNotExists(t, i);
            return new Action(Kind.ADD_COLUMN, t, nameAt(t, i), i + 1 < t.size() ? t.get(i + 1) : null);
        }
        if (first.is("ALTER")) {
            int i = skip(t, 1, "COLUMN");
            String column = nameAt(t, i);
            Kind kind = isSetNotNull(t, i + 1) ? Kind.SET_NOT_NULL : isTypeChange(t, i + 1) ? Kind.CHANGE_TYPE : Kind.OTHER;
            return new Action(kind, t, column);
        }
        if (first.is("DROP")) {
            if (t.size() > 1 && (t.get(1).is("CONSTRAINT"))) {
                return new Action(Kind.OTHER, t, null);
            }
            int i = skip(t, 1, "COLUMN");
            if (i + 1 < t.size() && t.get(i).is("IF") && t.get(i + 1).is("EXISTS")) {
                i += 2;
            }
            return new Action(Kind.DROP_COLUMN, t, nameAt(t, i));
        }
        if (first.is("RENAME")) {
            if (t.size() > 1 && t.get(1).is("TO")) {
                return new Action(Kind.RENAME_TABLE, t, null);
            }
            if (t.size() > 1 && t.get(1).is("CONSTRAINT")) {
                return new Action(Kind.OTHER, t, null);
            }
            return new Action(Kind.RENAME_COLUMN, t, nameAt(t, skip(t, 1, "COLUMN")));
        }
        if (first.is("VALIDATE")) {
            return new Action(Kind.VALIDATE_CONSTRAINT, t, null);
        }
        return new Action(Kind.OTHER, t, null);
    }

    private static boolean isConstraintStart(Token t) {
        return t.is("CONSTRAINT") || t.is("CHECK") || t.is("FOREIGN") || t.is("PRIMARY") || t.is("UNIQUE")
                || t.is("EXCLUDE");
    }

    private static boolean isSetNotNull(List<Token> t, int i) {
        return i + 2 < t.size() && t.get(i).is("SET") && t.get(i + 1).is("NOT") && t.get(i + 2).is("NULL");
    }

    private static boolean isTypeChange(List<Token> t, int i) {
        return i < t.size() && t.get(i).is("TYPE")
                || i + 2 < t.size() && t.get(i).is("SET") && t.get(i + 1).is("DATA") && t.get(i + 2).is("TYPE");
    }

    private static int skip(List<Token> t, int i, String optional) {
        return i < t.size() && t.get(i).is(optional) ? i + 1 : i;
    }

    private static int skipIfNotExists(List<Token> t, int i) {
        return i + 2 < t.size() && t.get(i).is("IF") && t.get(i + 1).is("NOT") && t.get(i + 2).is("EXISTS")
                ? i + 3 : i;
    }

    private static String nameAt(List<Token> t, int i) {
        return i < t.size() && t.get(i).isIdentifier() ? t.get(i).name() : null;
    }
}
