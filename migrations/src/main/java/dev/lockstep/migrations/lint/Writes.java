package dev.lockstep.migrations.lint;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.delete.Delete;
import net.sf.jsqlparser.statement.insert.Insert;
import net.sf.jsqlparser.statement.merge.Merge;
import net.sf.jsqlparser.statement.truncate.Truncate;
import net.sf.jsqlparser.statement.update.Update;

/**
 * The tables a statement writes rows into ({@code INSERT}, {@code UPDATE}, {@code DELETE}, {@code TRUNCATE},
 * {@code MERGE}, {@code COPY … FROM}). The parser path (JSqlParser) reads the statement's own target; the token path
 * reads {@code COPY}, which JSqlParser does not know, statements JSqlParser rejects, and data-modifying {@code WITH}
 * clauses ({@code WITH d AS (DELETE FROM t …) SELECT …}).
 */
final class Writes {

    private static final List<String> DML = List.of("INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "WITH");

    private Writes() {
    }

    /** Tells whether the statement may write rows: it starts with a DML keyword, {@code WITH} or {@code COPY}. */
    static boolean mayWrite(SqlStatement statement) {
        Token first = statement.at(0);
        return DML.stream().anyMatch(first::is) || first.is("COPY");
    }

    /**
     * Returns the qualified tables the statement writes, or null when it starts like a write but neither path
     * understood it.
     */
    static Set<String> targets(SqlStatement statement, String defaultSchema) {
        Set<String> targets = new LinkedHashSet<>();
        if (statement.startsWith("COPY")) {
            QualifiedName name = QualifiedName.read(statement, 1, defaultSchema);
            if (name != null && statement.tokens().stream().anyMatch(t -> t.is("FROM"))) {
                targets.add(name.qualified());
            }
            return name == null ? null : targets;
        }
        Statement parsed = statement.parsed();
        if (parsed != null) {
            for (Table t : parsedTargets(parsed)) {
                targets.add(qualify(t, defaultSchema));
            }
        }
        if (parsed == null || statement.startsWith("WITH")) {
            targets.addAll(tokenTargets(statement, defaultSchema));
        }
        return parsed == null && targets.isEmpty() ? null : targets;
    }

    private static List<Table> parsedTargets(Statement parsed) {
        List<Table> tables = new ArrayList<>();
        if (parsed instanceof Insert insert) {
            tables.add(insert.getTable());
        } else if (parsed instanceof Update update) {
            tables.add(update.getTable());
        } else if (parsed instanceof Delete delete) {
            tables.add(delete.getTable());
            if (delete.getTables() != null) {
                tables.addAll(delete.getTables());
            }
        } else if (parsed instanceof Merge merge) {
            tables.add(merge.getTable());
        } else if (parsed instanceof Truncate truncate) {
            if (truncate.getTables() != null && !truncate.getTables().isEmpty()) {
                tables.addAll(truncate.getTables());
            } else {
                tables.add(truncate.getTable());
            }
        }
        tables.removeIf(t -> t == null || t.getName() == null);
        return tables;
    }

    /** Reads {@code INSERT INTO t}, {@code UPDATE [ONLY] t}, {@code DELETE FROM [ONLY] t}, {@code MERGE INTO t}, {@code TRUNCATE [TABLE] t, …}. */
    private static Set<String> tokenTargets(SqlStatement s, String defaultSchema) {
        Set<String> targets = new LinkedHashSet<>();
        for (int i = 0; i < s.tokens().size(); i++) {
            int at = -1;
            if (s.matchesAt(i, "INSERT", "INTO") || s.matchesAt(i, "DELETE", "FROM") || s.matchesAt(i, "MERGE", "INTO")) {
                at = i + 2;
            } else if (s.tokens().get(i).is("UPDATE") && !(i > 0 && (s.at(i - 1).is("DO") || s.at(i - 1).is("THEN")
                    || s.at(i - 1).is("FOR") || s.at(i - 1).is("KEY") || s.at(i - 1).is("ON")))) {
                at = i + 1;
            } else if (s.tokens().get(i).is("TRUNCATE")) {
                at = s.matchesAt(i + 1, "TABLE") ? i + 2 : i + 1;
                for (QualifiedName n = name(s, at, defaultSchema); n != null; n = name(s, n.end() + 1, defaultSchema)) {
                    targets.add(n.qualified());
                    if (s.at(n.end()) == null || !s.at(n.end()).isSymbol(",")) {
                        break;
                    }
                }
                continue;
            }
            QualifiedName n = at < 0 ? null : name(s, at, defaultSchema);
            if (n != null && !s.at(at).is("SET")) {
                targets.add(n.qualified());
            }
        }
        return targets;
    }

    private static QualifiedName name(SqlStatement s, int at, String defaultSchema) {
        return QualifiedName.read(s, s.matchesAt(at, "ONLY") ? at + 1 : at, defaultSchema);
    }

    private static String qualify(Table table, String defaultSchema) {
        String schema = table.getSchemaName() == null ? defaultSchema : unquote(table.getSchemaName());
        return schema + "." + unquote(table.getName());
    }

    private static String unquote(String name) {
        return name.length() > 1 && name.startsWith("\"") && name.endsWith("\"")
                ? name.substring(1, name.length() - 1).replace("\"\"", "\"") : Token.foldAscii(name);
    }
}
