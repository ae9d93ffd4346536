package dev.lockstep.core.definition.live;

import dev.lockstep.core.definition.AcceptedValuesRule;
import dev.lockstep.core.definition.DateDimension;
import dev.lockstep.core.definition.Dimension;
import dev.lockstep.core.definition.DimensionReference;
import dev.lockstep.core.definition.ExpressionRule;
import dev.lockstep.core.definition.Fact;
import dev.lockstep.core.definition.Lookup;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Problem;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.definition.RangeRule;
import dev.lockstep.core.definition.ReconciliationRule;
import dev.lockstep.core.definition.RegexRule;
import dev.lockstep.core.definition.ScdType;
import dev.lockstep.core.definition.SourceDimension;
import dev.lockstep.core.definition.SourceMap;
import dev.lockstep.core.definition.SqlExpression;
import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.core.stream.TableId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** Type-checks every expression in the warehouse PostgreSQL and checks that result types fit where they go. */
final class TypeChecks {

    private static final String TARGET_ALIAS = "t";

    private final PipelineDefinition definition;
    private final SourceMap map;
    private final Map<TableId, SourceTable> tables;
    private final ExpressionTypeChecker checker;
    private final Set<String> unparsed;
    private final List<Problem> problems;
    private final List<DerivedColumn> columns = new ArrayList<>();
    private final Set<String> acceptedUnparsed = new HashSet<>();
    private final Set<String> rejectedUnparsed = new HashSet<>();
    /** Target name → its columns' types, when every column could be typed. */
    private final Map<String, Map<String, String>> targets = new LinkedHashMap<>();

    TypeChecks(PipelineDefinition definition, SourceMap map, Map<TableId, SourceTable> tables,
            ExpressionTypeChecker checker, Set<String> unparsed, List<Problem> problems) {
        this.definition = definition;
        this.map = map;
        this.tables = tables;
        this.checker = checker;
        this.unparsed = unparsed;
        this.problems = problems;
    }

    List<DerivedColumn> columns() {
        return columns;
    }

    /** Returns the unparsed expressions PostgreSQL accepted. */
    Set<String> acceptedUnparsed() {
        return acceptedUnparsed;
    }

    /** Returns the unparsed expressions PostgreSQL rejected (its error replaces the offline one). */
    Set<String> rejectedUnparsed() {
        return rejectedUnparsed;
    }

    void run() {
        tables.values().stream().filter(SourceTable::table).forEach(checker::declareSourceTable);
        for (Dimension dimension : definition.dimensions().values()) {
            if (dimension instanceof SourceDimension d) {
                checkDimension(d);
            } else if (dimension instanceof DateDimension date) {
                targets.put(date.name(), date.columns());
            }
        }
        definition.facts().values().forEach(this::checkFact);
        targets.forEach((name, types) -> checker.declareRelation(targetRelation(name), types));
        for (int i = 0; i < definition.quality().size(); i++) {
            checkRule(definition.quality().get(i), "quality[" + i + "]");
        }
    }

    private void checkDimension(SourceDimension d) {
        Optional<Scope> scope = scope(d.from(), d.lookup());
        if (scope.isEmpty()) {
            return;
        }
        Map<String, String> types = new LinkedHashMap<>();
        boolean complete = true;
        types.put(d.surrogateKey(), "bigint");
        for (String key : d.key()) {
            // Qualified: a lookup may have a column of the same name.
            Optional<String> type = typeOf(scope.get(), scope.get().qualified(key), null);
            complete &= type.isPresent();
            type.ifPresent(t -> types.put(key, t));
        }
        for (Map.Entry<String, SqlExpression> column : d.columns().entrySet()) {
            String path = "dimensions." + d.name() + ".columns." + column.getKey();
            Optional<String> type = typeOf(scope.get(), column.getValue().sql(), path);
            complete &= type.isPresent();
            type.ifPresent(t -> {
                types.put(column.getKey(), t);
                columns.add(new DerivedColumn(d.tableName(), column.getKey(), t, path));
            });
        }
        if (d.scd() == ScdType.TYPE_2) {
            types.put("valid_from", "timestamp with time zone");
            types.put("valid_to", "timestamp with time zone");
            types.put("is_current", "boolean");
        }
        types.put("is_deleted", "boolean");
        if (complete) {
            targets.put(d.name(), types);
        }
    }

    private void checkFact(Fact fact) {
        Optional<Scope> scope = scope(fact.from(), fact.lookup());
        if (scope.isEmpty()) {
            return;
        }
        Map<String, String> types = new LinkedHashMap<>();
        boolean complete = true;
        for (String grain : fact.grain()) {
            Optional<String> type = typeOf(scope.get(), scope.get().qualified(grain), null);
            complete &= type.isPresent();
            type.ifPresent(t -> types.put(grain, t));
        }
        for (DimensionReference reference : fact.dimensions().values()) {
            checkReference(fact, reference, scope.get());
            types.put(reference.column(), definition.dimensions().get(reference.dimension()) instanceof DateDimension
                    ? "integer" : "bigint");
        }
        for (Map.Entry<String, SqlExpression> measure : fact.measures().entrySet()) {
            String path = "facts." + fact.name() + ".measures." + measure.getKey();
            Optional<String> type = typeOf(scope.get(), measure.getValue().sql(), path);
            complete &= type.isPresent();
            type.ifPresent(t -> {
                types.put(measure.getKey(), t);
                columns.add(new DerivedColumn(fact.tableName(), measure.getKey(), t, path));
            });
        }
        types.put("is_deleted", "boolean");
        if (complete) {
            targets.put(fact.name(), types);
        }
    }

    private void checkReference(Fact fact, DimensionReference reference, Scope scope) {
        String base = "facts." + fact.name() + ".dimensions." + reference.name();
        Dimension dimension = definition.dimensions().get(reference.dimension());
        for (int i = 0; i < reference.key().size(); i++) {
            String path = map.has(base + ".key[" + i + "]") ? base + ".key[" + i + "]" : base + "[" + i + "]";
            String sql = reference.key().get(i).sql();
            Optional<String> type = typeOf(scope, sql, path);
            if (type.isEmpty()) {
                continue;
            }
            if (dimension instanceof DateDimension) {
                if (!TypeFamily.of(type.get()).equals(TypeFamily.TIME)) {
                    mismatch(path, "a date reference needs a date or timestamp, and `" + sql + "` is " + type.get()
                            + "; cast it, e.g. (" + sql + ")::date");
                }
            } else if (dimension instanceof SourceDimension d) {
                Optional<String> keyType = naturalKeyType(d, i);
                if (keyType.isPresent() && !TypeFamily.of(keyType.get()).equals(TypeFamily.of(type.get()))) {
                    mismatch(path, "dimension " + d.name() + "'s key " + d.key().get(i) + " is " + keyType.get()
                            + ", but `" + sql + "` is " + type.get() + "; cast it, e.g. (" + sql + ")::"
                            + keyType.get());
                }
            }
        }
    }

    private Optional<String> naturalKeyType(SourceDimension d, int index) {
        return scope(d.from(), Map.of()).flatMap(scope -> typeOf(scope, TableIdQuote.column(d.key().get(index)), null));
    }

    private void checkRule(QualityRule rule, String path) {
        Map<String, String> types = targets.get(rule.target());
        if (types == null) {
            return;
        }
        Scope scope = new Scope(targetRelation(rule.target()), TARGET_ALIAS, List.of());
        if (rule instanceof ExpressionRule expression) {
            String at = path + ".check";
            typeOf(scope, expression.check().sql(), at).ifPresent(type -> {
                if (!type.equals("boolean")) {
                    mismatch(at, "a check must be boolean, and PostgreSQL types it as " + type);
                }
            });
        } else if (rule instanceof AcceptedValuesRule accepted) {
            String list = accepted.values().stream().map(TableIdQuote::literal).collect(Collectors.joining(", "));
            for (String column : accepted.columns()) {
                typeOf(scope, TableIdQuote.column(column) + " in (" + list + ")", path + ".values", false);
            }
        } else if (rule instanceof RangeRule range) {
            for (String column : range.columns()) {
                range.min().ifPresent(min -> typeOf(scope, TableIdQuote.column(column) + " >= "
                        + TableIdQuote.literal(min), path + ".min", false));
                range.max().ifPresent(max -> typeOf(scope, TableIdQuote.column(column) + " <= "
                        + TableIdQuote.literal(max), path + ".max", false));
            }
        } else if (rule instanceof RegexRule regex) {
            checker.checkRegex(regex.pattern()).ifPresent(error -> problems.add(Problem.error(ProblemType.TYPE_ERROR,
                    map.locate(path + ".pattern"), path + ".pattern", "PostgreSQL: " + error.message())));
            for (String column : regex.columns()) {
                typeOf(scope, TableIdQuote.column(column) + " ~ ''", path + ".columns", false);
            }
        } else if (rule instanceof ReconciliationRule reconciliation) {
            for (int i = 0; i < reconciliation.sums().size(); i++) {
                String sum = reconciliation.sums().get(i);
                String type = types.get(sum);
                if (type != null && !TypeFamily.of(type).equals(TypeFamily.NUMBER)) {
                    mismatch(path + ".sums[" + i + "]", "measure `" + sum + "` is " + type + "; only numbers can be "
                            + "summed");
                }
            }
        }
    }

    /** Returns the relation name a target's conformed rows are declared as. */
    static String targetRelation(String target) {
        return "target " + target;
    }

    private record Scope(String relation, String alias, List<ExpressionProbe.Join> joins) {
        /** Returns a column of the scope's own table, qualified by its alias. */
        String qualified(String column) {
            return TableIdQuote.column(alias) + "." + TableIdQuote.column(column);
        }
    }

    private Optional<Scope> scope(TableId from, Map<String, Lookup> lookups) {
        SourceTable base = tables.get(from);
        if (base == null || !base.table()) {
            return Optional.empty();
        }
        List<ExpressionProbe.Join> joins = new ArrayList<>();
        for (Lookup lookup : lookups.values()) {
            SourceTable target = tables.get(lookup.from());
            if (target == null || !target.table()) {
                return Optional.empty();
            }
            String key = lookup.key().orElseGet(() -> target.primaryKey().size() == 1 ? target.primaryKey().get(0)
                    : null);
            if (key == null) {
                return Optional.empty();
            }
            joins.add(new ExpressionProbe.Join(lookup.name(), lookup.from().toString(), key,
                    lookup.on().lookup().orElse(from.table()), lookup.on().column()));
        }
        return Optional.of(new Scope(from.toString(), from.table(), joins));
    }

    private Optional<String> typeOf(Scope scope, String sql, String path) {
        return typeOf(scope, sql, path, true);
    }

    /** Type-checks; reports PostgreSQL's error at the expression's position when {@code path} is given. */
    private Optional<String> typeOf(Scope scope, String sql, String path, boolean positioned) {
        TypeCheck check = checker.typeOf(new ExpressionProbe(sql, scope.relation(), scope.alias(), scope.joins()));
        if (check.error().isPresent() && path != null) {
            SqlError error = check.error().get();
            int offset = positioned && error.position() > 0 ? error.position() - 1 : 0;
            problems.add(Problem.error(ProblemType.TYPE_ERROR, positioned ? map.locate(path, offset)
                    : map.locate(path), path, "PostgreSQL: " + error.message()
                    + error.hint().map(h -> " (hint: " + h + ")").orElse("")));
            if (unparsed.contains(path)) {
                rejectedUnparsed.add(path);
            }
        } else if (check.type().isPresent() && path != null && unparsed.contains(path)) {
            acceptedUnparsed.add(path);
        }
        return check.type();
    }

    private void mismatch(String path, String message) {
        problems.add(Problem.error(ProblemType.TYPE_MISMATCH, map.locate(path), path, message));
    }

    /** Families of PostgreSQL types that compare with each other: number, text, time, or the type itself. */
    static final class TypeFamily {
        static final String NUMBER = "number";
        static final String TEXT = "text";
        static final String TIME = "time";

        private TypeFamily() {}

        static String of(String type) {
            String t = type.replaceAll("\\(.*\\)", "").strip();
            if (Set.of("smallint", "integer", "bigint", "numeric", "real", "double precision").contains(t)) {
                return NUMBER;
            }
            if (Set.of("text", "character varying", "character", "name", "\"char\"", "citext").contains(t)) {
                return TEXT;
            }
            if (t.equals("date") || t.startsWith("timestamp")) {
                return TIME;
            }
            return t;
        }
    }

    /** Quoting for the small pieces of SQL this class writes itself. */
    static final class TableIdQuote {
        private TableIdQuote() {}

        static String column(String name) {
            return SqlIdentifiers.quote(name);
        }

        static String literal(String value) {
            return "'" + value.replace("'", "''") + "'";
        }
    }
}
