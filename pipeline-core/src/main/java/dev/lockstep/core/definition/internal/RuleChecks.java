package dev.lockstep.core.definition.internal;

import static dev.lockstep.core.definition.internal.DefinitionFormat.DIMENSION_REFERENCES;
import static dev.lockstep.core.definition.internal.DefinitionFormat.MEASURES;
import static dev.lockstep.core.definition.internal.DefinitionFormat.QUALITY;
import static dev.lockstep.core.definition.internal.DefinitionFormat.REFERENCED_DIMENSION;
import static dev.lockstep.core.definition.internal.RuleFormat.CHECK;
import static dev.lockstep.core.definition.internal.RuleFormat.MAX;
import static dev.lockstep.core.definition.internal.RuleFormat.MIN;
import static dev.lockstep.core.definition.internal.RuleFormat.PATTERN;
import static dev.lockstep.core.definition.internal.RuleFormat.REFERENCES_DIMENSION;
import static dev.lockstep.core.definition.internal.RuleFormat.RULE_COLUMNS;
import static dev.lockstep.core.definition.internal.RuleFormat.RULE_NAME_FIELD;
import static dev.lockstep.core.definition.internal.RuleFormat.SUMS;
import static dev.lockstep.core.definition.internal.RuleFormat.TARGET;

import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.RuleKind;
import dev.lockstep.core.definition.SqlExpression;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Checks of quality rules: target and columns exist, names distinct, kind-specific settings make sense. */
final class RuleChecks {

    /** Escapes PostgreSQL's regular expressions have and Java's do not; patterns with them are left to PostgreSQL. */
    private static final Pattern POSTGRES_ONLY = Pattern.compile("\\\\[mMyY]|\\[\\[:[<>]:]]");

    private final DefinitionChecks checks;
    private final Targets targets;

    RuleChecks(DefinitionChecks checks, Targets targets) {
        this.checks = checks;
        this.targets = targets;
    }

    void checkAll(Section root) {
        List<Located<Section>> rules = root.value(QUALITY);
        if (rules == null) {
            return;
        }
        Map<String, Located<Section>> names = new HashMap<>();
        for (Located<Section> rule : rules) {
            check(rule);
            String name = nameOf(rule.value());
            Located<Section> first = names.putIfAbsent(name, rule);
            if (first != null) {
                Located<String> given = rule.value().get(RULE_NAME_FIELD);
                checks.error(ProblemType.DUPLICATE_NAME, given != null ? given.location() : rule.location(),
                        given != null ? given.path() : rule.path(), "another rule (line " + first.location().line()
                        + ") is also named `" + name + "`; give " + (given != null ? "this rule another" : "one a")
                        + " `name`");
            }
        }
    }

    /** Returns the rule's name: the one given, or {@code <rule>_<target>[_<columns or dimension>]}. */
    static String nameOf(Section rule) {
        String given = rule.value(RULE_NAME_FIELD);
        if (given != null) {
            return given;
        }
        RuleKind kind = kindOf(rule);
        StringBuilder name = new StringBuilder(kind.yamlName()).append('_').append(rule.value(TARGET));
        if (rule.spec().field(RULE_COLUMNS.key()).isPresent()) {
            Targets.values(rule.value(RULE_COLUMNS)).forEach(c -> name.append('_').append(c));
        }
        if (kind == RuleKind.REFERENCES && rule.value(REFERENCES_DIMENSION) != null) {
            name.append('_').append(rule.value(REFERENCES_DIMENSION));
        }
        return name.toString();
    }

    static RuleKind kindOf(Section rule) {
        return RuleFormat.RULE_SPECS.entrySet().stream().filter(e -> e.getValue() == rule.spec())
                .map(Map.Entry::getKey).findFirst().orElseThrow();
    }

    private void check(Located<Section> located) {
        Section rule = located.value();
        Located<String> target = rule.get(TARGET);
        if (target == null) {
            return;
        }
        boolean known = targets.names().contains(target.value());
        if (!known) {
            checks.error(ProblemType.UNKNOWN_TARGET, target.location(), target.path(), "no dimension or fact named `"
                    + target.value() + "`; " + Suggestions.didYouMean(target.value(), targets.names())
                    + "targets: " + DefinitionChecks.list(targets.names()));
            return;
        }
        boolean uncertain = columnsUncertain(target.value());
        List<String> columns = targets.columnsOf(target.value());
        String owner = (targets.facts().containsKey(target.value()) ? "fact " : "dimension ") + target.value();
        for (Located<String> column : uncertain ? List.<Located<String>>of() : orEmpty(rule.value(RULE_COLUMNS))) {
            if (!columns.contains(column.value())) {
                checks.error(ProblemType.UNKNOWN_COLUMN, column.location(), column.path(), "`" + column.value()
                        + "` is not a column of " + owner + "; " + Suggestions.didYouMean(column.value(), columns)
                        + "columns: " + DefinitionChecks.list(columns));
            }
        }
        switch (kindOf(rule)) {
            case REFERENCES -> checkReferences(rule, target.value());
            case RANGE -> checkRange(rule);
            case REGEX -> checkRegex(rule);
            case EXPRESSION -> checkExpression(rule.get(CHECK), owner, columns, uncertain);
            case RECONCILIATION -> checkSums(rule, target.value(), uncertain);
            default -> { }
        }
    }

    /**
     * Returns true while the parts that give a target its columns have errors (a misspelt `measures`, an invalid
     * key): its columns are then unknown, and saying a rule's column does not exist would only repeat that error.
     */
    private boolean columnsUncertain(String target) {
        String path = (targets.facts().containsKey(target) ? "facts." : "dimensions.") + target;
        Problems problems = checks.binder().problems();
        return problems.hasErrorsAt(path) || java.util.stream.Stream.of("key", "columns", "scd", "grain", "dimensions",
                "measures").anyMatch(part -> problems.hasErrorsUnder(path + "." + part));
    }

    private void checkReferences(Section rule, String target) {
        Located<String> dimension = rule.get(REFERENCES_DIMENSION);
        Located<Section> fact = targets.facts().get(target);
        Located<String> at = rule.get(TARGET);
        if (fact == null) {
            checks.error(ProblemType.NOT_APPLICABLE, at.location(), at.path(), "rule references checks a fact's "
                    + "dimension references, and `" + target + "` is a dimension; target a fact");
            return;
        }
        if (dimension == null) {
            return;
        }
        Map<String, Located<Section>> references = Targets.entries(fact.value().value(DIMENSION_REFERENCES));
        Located<Section> reference = references.get(dimension.value());
        if (reference == null) {
            checks.error(ProblemType.UNKNOWN_DIMENSION, dimension.location(), dimension.path(), "fact " + target
                    + " has no dimension reference `" + dimension.value() + "`; " + Suggestions.didYouMean(
                            dimension.value(), references.keySet()) + "references: "
                    + DefinitionChecks.list(references.keySet()));
            return;
        }
        Located<String> named = reference.value().get(REFERENCED_DIMENSION);
        Located<Section> referenced = targets.dimensions().get(named != null ? named.value() : dimension.value());
        if (referenced != null && Targets.isDate(referenced.value())) {
            checks.error(ProblemType.NOT_APPLICABLE, dimension.location(), dimension.path(), "`" + dimension.value()
                    + "` refers to the generated date dimension, whose members never arrive late; check a "
                    + "dimension built from a table");
        }
    }

    private void checkRange(Section rule) {
        Located<String> min = rule.get(MIN);
        Located<String> max = rule.get(MAX);
        if (min == null && max == null) {
            if (!rule.wrote(MIN) && !rule.wrote(MAX)) {
                checks.error(ProblemType.MISSING_KEY, rule.location(), rule.path(),
                        "missing required key `min` or `max`: a range needs at least one bound");
            }
            return;
        }
        if (min == null || max == null) {
            return;
        }
        Integer order = compare(min.value(), max.value());
        if (order != null && order > 0) {
            checks.error(ProblemType.INVALID_RANGE, max.location(), max.path(), "max " + max.value()
                    + " is below min " + min.value());
        }
    }

    private static Integer compare(String a, String b) {
        if (ScalarTypes.isNumber(a) && ScalarTypes.isNumber(b)) {
            return new BigDecimal(a).compareTo(new BigDecimal(b));
        }
        if (!ScalarTypes.isNumber(a) && !ScalarTypes.isNumber(b) && a.length() == b.length()) {
            return a.replace('T', ' ').compareTo(b.replace('T', ' '));
        }
        return null;
    }

    private void checkRegex(Section rule) {
        Located<String> pattern = rule.get(PATTERN);
        if (pattern == null || POSTGRES_ONLY.matcher(pattern.value()).find()) {
            return;
        }
        try {
            Pattern.compile(pattern.value());
        } catch (PatternSyntaxException e) {
            int index = Math.max(0, e.getIndex());
            checks.error(ProblemType.INVALID_REGEX, checks.locate(pattern, index), pattern.path(),
                    "the regular expression cannot be compiled: " + e.getDescription());
        }
    }

    private void checkExpression(Located<SqlExpression> check, String owner, List<String> columns,
            boolean uncertain) {
        if (check == null) {
            return;
        }
        ExpressionAnalyzer.Analysis analysis = checks.analyze(check);
        for (ExpressionAnalyzer.ColumnUse use : uncertain ? List.<ExpressionAnalyzer.ColumnUse>of()
                : analysis.columns()) {
            if (use.qualifier().isPresent()) {
                checks.error(ProblemType.EXPRESSION_SCOPE, checks.locate(check, use.offset()), check.path(), "`"
                        + use + "`: a rule's check uses the columns of its target by name alone, e.g. `"
                        + use.column() + "`");
            } else if (!columns.contains(use.column())) {
                checks.error(ProblemType.UNKNOWN_COLUMN, checks.locate(check, use.offset()), check.path(), "`"
                        + use.column() + "` is not a column of " + owner + "; "
                        + Suggestions.didYouMean(use.column(), columns) + "columns: " + DefinitionChecks.list(columns));
            }
        }
    }

    private void checkSums(Section rule, String target, boolean uncertain) {
        List<Located<String>> sums = orEmpty(rule.value(SUMS));
        if (sums.isEmpty() || uncertain && targets.facts().containsKey(target)) {
            return;
        }
        Located<Section> fact = targets.facts().get(target);
        Set<String> measures = fact == null ? Set.of()
                : new LinkedHashSet<>(Targets.entries(fact.value().value(MEASURES)).keySet());
        for (Located<String> sum : sums) {
            if (fact == null) {
                checks.error(ProblemType.NOT_APPLICABLE, sum.location(), sum.path(), "`sums` compares a fact's "
                        + "measures, and `" + target + "` is a dimension; reconcile its row counts only");
                return;
            }
            if (!measures.contains(sum.value())) {
                checks.error(ProblemType.UNKNOWN_COLUMN, sum.location(), sum.path(), "`" + sum.value()
                        + "` is not a measure of fact " + target + "; " + Suggestions.didYouMean(sum.value(), measures)
                        + "measures: " + DefinitionChecks.list(measures));
            }
        }
    }

    private static <T> List<Located<T>> orEmpty(List<Located<T>> list) {
        return list == null ? List.of() : list;
    }
}
