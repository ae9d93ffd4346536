package dev.lockstep.core.definition.internal;

import static dev.lockstep.core.definition.internal.DefinitionFormat.DATABASE;
import static dev.lockstep.core.definition.internal.DefinitionFormat.HOST;
import static dev.lockstep.core.definition.internal.DefinitionFormat.PORT;
import static dev.lockstep.core.definition.internal.DefinitionFormat.SOURCE_CONNECTION;
import static dev.lockstep.core.definition.internal.DefinitionFormat.SOURCE_FIELD;
import static dev.lockstep.core.definition.internal.DefinitionFormat.TABLES;
import static dev.lockstep.core.definition.internal.DefinitionFormat.URL;
import static dev.lockstep.core.definition.internal.DefinitionFormat.WAREHOUSE_CONNECTION;
import static dev.lockstep.core.definition.internal.DefinitionFormat.WAREHOUSE_FIELD;

import dev.lockstep.core.definition.Location;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.SqlExpression;
import dev.lockstep.core.stream.TableId;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The checks that need the whole definition: references resolve, names are distinct, expressions parse and use
 * only what is in their scope. Runs after binding, on whatever was valid; reports every problem it finds.
 */
public final class DefinitionChecks {

    private final Section root;
    private final Binder binder;
    private final Targets targets;
    private final Set<TableId> tables = new HashSet<>();
    private final Set<String> unparsedExpressions = new HashSet<>();

    private DefinitionChecks(Section root, Binder binder) {
        this.root = root;
        this.binder = binder;
        this.targets = new Targets(root);
    }

    /** Runs the checks; returns the paths of expressions the offline parser could not read. */
    public static Set<String> run(Section root, Binder binder) {
        DefinitionChecks checks = new DefinitionChecks(root, binder);
        checks.run();
        return Set.copyOf(checks.unparsedExpressions);
    }

    private void run() {
        Section source = root.value(SOURCE_FIELD);
        if (source != null) {
            Targets.values(source.value(TABLES)).forEach(tables::add);
            checkConnection(source.value(SOURCE_CONNECTION));
        }
        Section warehouse = root.value(WAREHOUSE_FIELD);
        if (warehouse != null) {
            checkConnection(warehouse.value(WAREHOUSE_CONNECTION));
        }
        targets.facts().forEach((name, fact) -> {
            Located<Section> dimension = targets.dimensions().get(name);
            if (dimension != null) {
                error(ProblemType.DUPLICATE_NAME, fact.location(), fact.path(), "`" + name + "` names both a "
                        + "dimension (line " + dimension.location().line() + ") and a fact; rules refer to them by "
                        + "name, so rename one");
            }
        });
        TargetChecks targetChecks = new TargetChecks(this, targets);
        targets.dimensions().forEach(targetChecks::checkDimension);
        targets.facts().forEach(targetChecks::checkFact);
        new RuleChecks(this, targets).checkAll(root);
    }

    private void checkConnection(Section postgres) {
        if (postgres == null) {
            return;
        }
        boolean url = postgres.wrote(URL);
        boolean host = postgres.wrote(HOST);
        boolean database = postgres.wrote(DATABASE);
        if (url && (host || database)) {
            Located<?> other = host ? postgres.get(HOST) : postgres.get(DATABASE);
            Location at = other != null ? other.location() : postgres.location();
            error(ProblemType.CONFLICTING_KEYS, at, ObjectSpec.join(postgres.path(), host ? "host" : "database"),
                    "give either `url`, or `host` and `database`, not both");
        } else if (!url && !host && !database) {
            error(ProblemType.MISSING_KEY, postgres.location(), postgres.path(),
                    "missing required key `url` (or `host` and `database`): where the database is");
        } else if (!url && !database) {
            error(ProblemType.MISSING_KEY, postgres.location(), postgres.path(),
                    "missing required key `database`: `host` needs it (or give a `url` instead)");
        } else if (!url && !host) {
            error(ProblemType.MISSING_KEY, postgres.location(), postgres.path(),
                    "missing required key `host`: `database` needs it (or give a `url` instead)");
        }
        if (url && postgres.wrote(PORT) && postgres.get(PORT) != null) {
            Located<Integer> port = postgres.get(PORT);
            error(ProblemType.CONFLICTING_KEYS, port.location(), port.path(),
                    "`port` goes with `host`; with a `url`, put the port in the URL");
        }
    }

    // ---- shared with TargetChecks and RuleChecks

    Binder binder() {
        return binder;
    }

    void error(ProblemType type, Location location, String path, String message) {
        binder.error(type, location, path, message);
    }

    /** Checks that a table is listed in source.tables. */
    void requireListed(Located<TableId> table) {
        if (table != null && !tables.isEmpty() && !tables.contains(table.value())) {
            error(ProblemType.TABLE_NOT_LISTED, table.location(), table.path(), "table " + table.value()
                    + " is not listed in source.tables; add it there, or "
                    + Suggestions.closest(table.value().toString(), tables.stream().map(TableId::toString).toList())
                            .map(s -> "did you mean " + s + "?").orElse("use one of the listed tables"));
        }
    }

    /** Analyzes an expression and reports its problems; returns the analysis. */
    ExpressionAnalyzer.Analysis analyze(Located<SqlExpression> expression) {
        ExpressionAnalyzer.Analysis analysis = ExpressionAnalyzer.analyze(expression.value().sql());
        for (ExpressionAnalyzer.Issue issue : analysis.issues()) {
            error(issue.type(), locate(expression, issue.offset()), expression.path(), issue.message());
        }
        if (analysis.deferrable()) {
            unparsedExpressions.add(expression.path());
        }
        return analysis;
    }

    /** Returns the position of a character of a located scalar's value. */
    Location locate(Located<?> located, int offset) {
        if (located.node() instanceof YamlNode.Scalar s && !s.interpolated()) {
            return binder.source().locationInScalar(s.offset(), s.raw(), offset);
        }
        return located.node().location();
    }

    /** Formats "a, b, c" with at most a dozen names. */
    static String list(Collection<String> names) {
        List<String> shown = names.stream().limit(12).toList();
        String text = String.join(", ", shown);
        return names.size() > shown.size() ? text + ", …" : text.isEmpty() ? "(none)" : text;
    }
}
