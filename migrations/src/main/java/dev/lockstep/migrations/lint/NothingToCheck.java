package dev.lockstep.migrations.lint;

import java.util.List;

/**
 * Statements the token path recognises by their first words and no rule concerns (transaction control, comments,
 * privileges, new types, schemas, sequences and extensions, statistics, {@code ALTER INDEX}: renaming an index
 * breaks no reader): understood, though JSqlParser rejects
 * several of them, so they are not reported as {@code unparsed-statement}.
 */
final class NothingToCheck {

    private static final List<String[]> FORMS = List.of(
            new String[] {"BEGIN"}, new String[] {"START", "TRANSACTION"}, new String[] {"COMMIT"},
            new String[] {"END"}, new String[] {"COMMENT", "ON"}, new String[] {"GRANT"}, new String[] {"REVOKE"},
            new String[] {"CREATE", "EXTENSION"}, new String[] {"CREATE", "TYPE"}, new String[] {"CREATE", "SCHEMA"},
            new String[] {"CREATE", "SEQUENCE"}, new String[] {"ANALYZE"}, new String[] {"ALTER", "INDEX"});

    private NothingToCheck() {
    }

    static boolean matches(SqlStatement statement) {
        return FORMS.stream().anyMatch(statement::startsWith);
    }
}
