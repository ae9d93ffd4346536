package dev.lockstep.migrations.lint;

import dev.lockstep.warehouse.star.ColumnRebuild;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Lints the statements of one script in order, keeping what earlier statements did: the tables the deployment
 * created so far (new and empty, so exempt from the rules about existing tables), whether {@code lock_timeout} is
 * set, which tables had a constraint validated. Every rule except {@code unparsed-statement} and the DML targets of
 * {@code hand-written-writes-applier-table} ({@link Writes}) works on the token path; see {@link AlterTable} for why.
 */
final class ScriptLinter {

    /** Functions whose default value differs per row, so that {@code ADD COLUMN … DEFAULT} rewrites the table. */
    private static final Set<String> VOLATILE_FUNCTIONS = Set.of("random", "gen_random_uuid", "uuid_generate_v1",
            "uuid_generate_v1mc", "uuid_generate_v4", "uuidv4", "uuidv7", "clock_timestamp", "timeofday", "nextval",
            "setval", "txid_current", "pg_current_xact_id", "random_normal");
    private static final Set<String> SERIAL_TYPES = Set.of("serial", "serial2", "serial4", "serial8", "smallserial",
            "bigserial");
    private static final Pattern ZERO = Pattern.compile("0+(\\.0*)?\\s*[a-z]*");

    private final Script script;
    private final LintContext context;
    private final Set<String> created;
    private final Consumer<Finding> findings;
    private final Map<String, SqlStatement> touched = new LinkedHashMap<>();
    private final Set<String> validated = new LinkedHashSet<>();
    private boolean lockTimeoutSet;
    private boolean lockTimeoutReported;

    /** {@code created} is shared by the deployment's scripts and grows as they create tables. */
    ScriptLinter(Script script, LintContext context, Set<String> created, Consumer<Finding> findings) {
        this.script = script;
        this.context = context;
        this.created = created;
        this.findings = findings;
    }

    /** Returns the tables the script's statements changed or wrote, each with the first statement that did. */
    Map<String, SqlStatement> touched() {
        return touched;
    }

    void lint(SqlStatement s) {
        identifierLengths(s);
        AlterTable alter = AlterTable.read(s, context.defaultSchema());
        if (alter != null) {
            alterTable(s, alter);
        } else if (s.startsWith("SET") || s.startsWith("RESET") || isSetConfig(s)) {
            lockTimeout(s);
        } else if (s.startsWith("CREATE") && indexOf(s, "INDEX", 3) > 0) {
            createIndex(s);
        } else if (s.startsWith("CREATE")) {
            create(s);
        } else if (s.startsWith("DROP")) {
            drop(s);
        } else if (s.startsWith("ALTER", "VIEW") || s.startsWith("ALTER", "MATERIALIZED", "VIEW")) {
            alterView(s);
        } else if (s.startsWith("REFRESH", "MATERIALIZED", "VIEW")) {
            if (!s.matchesAt(3, "CONCURRENTLY")) {
                requireLockTimeout(s);
            }
        } else if (Writes.mayWrite(s)) {
            writes(s);
        } else if (!NothingToCheck.matches(s) && s.parsed() == null) {
            report(LintRule.UNPARSED_STATEMENT, s, s.line(), "cannot read `" + abbreviate(s.text()) + "`");
        }
    }

    private void alterTable(SqlStatement s, AlterTable alter) {
        String table = alter.table();
        touch(table, s);
        boolean existing = !created.contains(table);
        for (AlterTable.Action a : alter.actions()) {
            int line = a.line();
            switch (a.kind()) {
                case ADD_COLUMN -> addColumn(s, table, a, existing);
                case ADD_CONSTRAINT -> addConstraint(s, table, a, existing);
                case SET_NOT_NULL -> {
                    if (existing && !validated.contains(table)) {
                        report(LintRule.SETTING_NOT_NULLABLE_FIELD, s, line, "sets " + table + "." + a.column()
                                + " NOT NULL");
                    }
                }
                case CHANGE_TYPE -> {
                    if (existing) {
                        report(LintRule.CHANGING_COLUMN_TYPE, s, line, "changes the type of " + table + "."
                                + a.column());
                    }
                }
                case DROP_COLUMN -> {
                    // A generated switch drops the mark of the rows batches wrote during the rebuild: bookkeeping.
                    boolean mark = switchOver() && a.column().equals(ColumnRebuild.MARKER);
                    if (existing && !mark) {
                        dropped(s, line, "drops column " + table + "." + a.column());
                    }
                }
                case RENAME_COLUMN -> {
                    if (existing && !switchOver()) {
                        report(LintRule.RENAMING_COLUMN, s, line, "renames column " + table + "." + a.column());
                    }
                }
                case RENAME_TABLE -> {
                    if (existing && !switchOver()) {
                        report(LintRule.RENAMING_TABLE, s, line, "renames table " + table);
                    }
                }
                case VALIDATE_CONSTRAINT -> validated.add(table);
                case OTHER -> { }
            }
        }
        boolean onlyValidates = alter.actions().stream().allMatch(a -> a.kind() == AlterTable.Kind.VALIDATE_CONSTRAINT);
        if (existing && !onlyValidates) {
            requireLockTimeout(s);
        }
    }

    private void addColumn(SqlStatement s, String table, AlterTable.Action a, boolean existing) {
        if (!existing) {
            return;
        }
        String column = table + "." + a.column();
        boolean serial = a.type() != null && SERIAL_TYPES.contains(a.type().name());
        boolean generated = a.has("GENERATED");
        if (a.hasPair("NOT", "NULL") && !a.has("DEFAULT") && !serial && !generated) {
            report(LintRule.ADDING_REQUIRED_FIELD, s, a.line(), "adds " + column + " NOT NULL without a default");
        }
        List<Token> defaultExpression = a.after("DEFAULT", "NOT", "NULL", "CONSTRAINT", "CHECK", "REFERENCES",
                "PRIMARY", "UNIQUE", "GENERATED", "COLLATE");
        if (serial || generated || callsVolatile(defaultExpression)) {
            report(LintRule.ADDING_FIELD_WITH_VOLATILE_DEFAULT, s, a.line(), "adds " + column + (serial ? " as "
                    + a.type().text() : generated ? " as a generated column" : " with a volatile default"));
        }
    }

    private void addConstraint(SqlStatement s, String table, AlterTable.Action a, boolean existing) {
        if (!existing) {
            return;
        }
        if ((a.has("CHECK") || a.has("FOREIGN") || a.has("REFERENCES")) && !a.hasPair("NOT", "VALID")) {
            report(LintRule.CONSTRAINT_MISSING_NOT_VALID, s, a.line(), "adds a constraint to " + table
                    + " that validates every row");
        }
        boolean unique = a.has("UNIQUE") || a.hasPair("PRIMARY", "KEY");
        if (unique && !a.hasPair("UNIQUE", "USING") && !a.hasPair("KEY", "USING") && context.isLarge(table)) {
            report(LintRule.DISALLOWED_UNIQUE_CONSTRAINT, s, a.line(), "adds a unique constraint to " + table
                    + " that builds its index under an exclusive lock");
        }
    }

    private static boolean callsVolatile(List<Token> expression) {
        for (int i = 0; i + 1 < expression.size(); i++) {
            if (expression.get(i).kind() == Token.Kind.WORD && VOLATILE_FUNCTIONS.contains(expression.get(i).name())
                    && expression.get(i + 1).isSymbol("(")) {
                return true;
            }
        }
        return false;
    }

    private void createIndex(SqlStatement s) {
        int on = indexOf(s, "ON", s.tokens().size());
        QualifiedName table = on < 0 ? null : QualifiedName.read(s, s.matchesAt(on + 1, "ONLY") ? on + 2 : on + 1,
                context.defaultSchema());
        if (table == null) {
            report(LintRule.UNPARSED_STATEMENT, s, s.line(), "cannot find the table of `" + abbreviate(s.text()) + "`");
            return;
        }
        touch(table.qualified(), s);
        boolean concurrently = indexOf(s, "CONCURRENTLY", 4) > 0;
        if (!concurrently && !created.contains(table.qualified()) && context.isLarge(table.qualified())) {
            Long rows = context.tableRows().get(table.qualified());
            report(LintRule.REQUIRE_CONCURRENT_INDEX_CREATION, s, s.line(), "creates an index on " + table.qualified()
                    + (rows == null ? " (size unknown)" : " (" + rows + " rows)") + " without CONCURRENTLY");
        }
    }

    /** Records the tables and views a {@code CREATE} makes; they are new, so rules about existing tables skip them. */
    private void create(SqlStatement s) {
        int i = 1;
        while (s.at(i) != null && (s.at(i).is("OR") || s.at(i).is("REPLACE") || s.at(i).is("GLOBAL")
                || s.at(i).is("LOCAL") || s.at(i).is("TEMP") || s.at(i).is("TEMPORARY") || s.at(i).is("UNLOGGED")
                || s.at(i).is("MATERIALIZED") || s.at(i).is("RECURSIVE"))) {
            i++;
        }
        boolean relation = s.matchesAt(i, "TABLE") || s.matchesAt(i, "VIEW");
        i = s.matchesAt(i + 1, "IF", "NOT", "EXISTS") ? i + 4 : i + 1;
        QualifiedName name = relation ? QualifiedName.read(s, i, context.defaultSchema()) : null;
        if (name != null) {
            created.add(name.qualified());
            touch(name.qualified(), s);
        } else if (!relation && !NothingToCheck.matches(s) && s.parsed() == null) {
            report(LintRule.UNPARSED_STATEMENT, s, s.line(), "cannot read `" + abbreviate(s.text()) + "`");
        }
    }

    private void drop(SqlStatement s) {
        boolean table = s.matchesAt(1, "TABLE");
        boolean dropsData = table || s.matchesAt(1, "SCHEMA") || s.matchesAt(1, "MATERIALIZED", "VIEW");
        boolean dropsRelation = dropsData || s.matchesAt(1, "VIEW");
        if (s.matchesAt(1, "INDEX") && !s.matchesAt(2, "CONCURRENTLY")) {
            requireLockTimeout(s);
        }
        if (!dropsRelation) {
            return;
        }
        int i = s.matchesAt(1, "MATERIALIZED") ? 3 : 2;
        i = s.matchesAt(i, "IF", "EXISTS") ? i + 2 : i;
        Set<String> names = new LinkedHashSet<>();
        for (QualifiedName n = QualifiedName.read(s, i, context.defaultSchema()); n != null;
                n = s.at(n.end()) != null && s.at(n.end()).isSymbol(",")
                        ? QualifiedName.read(s, n.end() + 1, context.defaultSchema()) : null) {
            names.add(s.matchesAt(1, "SCHEMA") ? s.at(n.end() - 1).name() : n.qualified());
        }
        names.forEach(n -> touch(n, s));
        names.removeIf(created::contains);
        if (names.isEmpty()) {
            return;
        }
        String what = "drops " + String.join(" ", s.tokens().subList(1, s.matchesAt(1, "MATERIALIZED") ? 3 : 2)
                .stream().map(t -> t.text().toLowerCase(Locale.ROOT)).toList()) + " " + String.join(", ", names);
        if (script.phase() != Script.Phase.CONTRACT) {
            report(LintRule.BAN_DROP_OUTSIDE_CONTRACT, s, s.line(), what);
        }
        if (dropsData && !script.hasDownScript()) {
            report(LintRule.DESTRUCTIVE_WITHOUT_DOWN_SCRIPT, s, s.line(), what);
        }
        if (table) {
            requireLockTimeout(s);
        }
    }

    /** Tells whether this is a generated switch: its renames put rebuilt shadow columns and tables in place. */
    private boolean switchOver() {
        return script.phase() == Script.Phase.SWITCH && script.origin() == Script.Origin.GENERATED;
    }

    private void dropped(SqlStatement s, int line, String what) {
        if (script.phase() != Script.Phase.CONTRACT) {
            report(LintRule.BAN_DROP_OUTSIDE_CONTRACT, s, line, what);
        }
        if (!script.hasDownScript()) {
            report(LintRule.DESTRUCTIVE_WITHOUT_DOWN_SCRIPT, s, line, what);
        }
    }

    private void writes(SqlStatement s) {
        Set<String> targets = Writes.targets(s, context.defaultSchema());
        if (targets == null) {
            report(LintRule.UNPARSED_STATEMENT, s, s.line(), "cannot read `" + abbreviate(s.text()) + "`");
            return;
        }
        targets.forEach(t -> touch(t, s));
        boolean deletes = s.startsWith("TRUNCATE") || s.tokens().stream().anyMatch(t -> t.is("DELETE"));
        Set<String> existing = new LinkedHashSet<>(targets);
        existing.removeIf(created::contains);
        if (deletes && !existing.isEmpty() && !script.hasDownScript()) {
            report(LintRule.DESTRUCTIVE_WITHOUT_DOWN_SCRIPT, s, s.line(), "deletes rows of " + String.join(", ", existing));
        }
        if (s.startsWith("TRUNCATE") && !existing.isEmpty()) {
            requireLockTimeout(s);
        }
        if (script.origin() == Script.Origin.HAND_WRITTEN) {
            Set<String> owned = new LinkedHashSet<>();
            context.applierTables().forEach(t -> owned.add(QualifiedName.resolve(t, context.defaultSchema())));
            targets.retainAll(owned);
            if (!targets.isEmpty()) {
                report(LintRule.HAND_WRITTEN_WRITES_APPLIER_TABLE, s, s.line(), "writes " + String.join(", ", targets));
            }
        }
    }

    private void lockTimeout(SqlStatement s) {
        int i = s.matchesAt(1, "SESSION") || s.matchesAt(1, "LOCAL") ? 2 : 1;
        if (s.startsWith("RESET") && (s.matchesAt(1, "LOCK_TIMEOUT") || s.matchesAt(1, "ALL"))) {
            lockTimeoutSet = false;
        } else if (s.startsWith("SET") && s.matchesAt(i, "LOCK_TIMEOUT") && s.at(i + 2) != null) {
            lockTimeoutSet = !isZero(s.at(i + 2));
        } else if (isSetConfig(s)) {
            lockTimeoutSet = !isZero(s.at(5));
        }
    }

    /** Tells whether the statement is {@code SELECT set_config('lock_timeout', value, …)}. */
    private static boolean isSetConfig(SqlStatement s) {
        return s.startsWith("SELECT", "SET_CONFIG") && s.at(3) != null && s.at(3).text().equalsIgnoreCase("'lock_timeout'")
                && s.at(5) != null;
    }

    private static boolean isZero(Token value) {
        String v = value.kind() == Token.Kind.STRING ? value.text().substring(1, value.text().length() - 1) : value.text();
        return value.is("DEFAULT") || ZERO.matcher(v.strip().toLowerCase(Locale.ROOT)).matches();
    }

    private void requireLockTimeout(SqlStatement s) {
        boolean fromRunner = context.runnerSetsLockTimeout() && script.origin() == Script.Origin.GENERATED;
        if (!lockTimeoutSet && !fromRunner && !lockTimeoutReported) {
            lockTimeoutReported = true;
            report(LintRule.REQUIRE_LOCK_TIMEOUT, s, s.line(), "`" + abbreviate(s.text())
                    + "` locks an existing table and no lock_timeout is set before it");
        }
    }

    private void identifierLengths(SqlStatement s) {
        Set<String> reported = new LinkedHashSet<>();
        for (Token t : s.tokens()) {
            if (t.isIdentifier() && t.nameBytes() > 63 && reported.add(t.name())) {
                report(LintRule.PREFER_IDENTIFIER_MAX_LENGTH, s, t.line(), "`" + t.name() + "` is " + t.nameBytes()
                        + " bytes long");
            }
        }
    }

    /** Reports {@code ALTER [MATERIALIZED] VIEW … RENAME TO} of a view the deployment did not create. */
    private void alterView(SqlStatement s) {
        int i = s.matchesAt(1, "VIEW") ? 2 : 3;
        QualifiedName view = QualifiedName.read(s, s.matchesAt(i, "IF", "EXISTS") ? i + 2 : i, context.defaultSchema());
        if (view != null && s.matchesAt(view.end(), "RENAME", "TO") && !created.contains(view.qualified())) {
            report(LintRule.RENAMING_TABLE, s, s.line(), "renames " + (i == 3 ? "materialized view " : "view ")
                    + view.qualified());
            requireLockTimeout(s);
        }
    }

    /** Returns the index of the word {@code keyword} among the first {@code limit} tokens, or -1. */
    private static int indexOf(SqlStatement s, String keyword, int limit) {
        for (int i = 0; i < Math.min(limit, s.tokens().size()); i++) {
            if (s.tokens().get(i).is(keyword)) {
                return i;
            }
        }
        return -1;
    }

    private void touch(String table, SqlStatement s) {
        touched.putIfAbsent(table, s);
    }

    private void report(LintRule rule, SqlStatement s, int line, String detail) {
        findings.accept(new Finding(rule, script.fileName(), s.number(), line, detail));
    }

    static String abbreviate(String sql) {
        String oneLine = sql.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= 60 ? oneLine : oneLine.substring(0, 57) + "…";
    }
}
