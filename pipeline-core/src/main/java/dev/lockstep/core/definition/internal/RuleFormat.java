package dev.lockstep.core.definition.internal;

import static dev.lockstep.core.definition.internal.CompositeTypes.list;
import static dev.lockstep.core.definition.internal.Field.optional;
import static dev.lockstep.core.definition.internal.Field.required;
import static dev.lockstep.core.definition.internal.NameTypes.name;
import static dev.lockstep.core.definition.internal.NameTypes.reference;
import static dev.lockstep.core.definition.internal.ScalarTypes.bound;
import static dev.lockstep.core.definition.internal.ScalarTypes.duration;
import static dev.lockstep.core.definition.internal.ScalarTypes.expression;
import static dev.lockstep.core.definition.internal.ScalarTypes.literal;
import static dev.lockstep.core.definition.internal.ScalarTypes.percent;
import static dev.lockstep.core.definition.internal.ScalarTypes.text;

import dev.lockstep.core.definition.AcceptedValuesRule;
import dev.lockstep.core.definition.CompletenessRule;
import dev.lockstep.core.definition.ExpressionRule;
import dev.lockstep.core.definition.FreshnessRule;
import dev.lockstep.core.definition.NotNullRule;
import dev.lockstep.core.definition.OnFail;
import dev.lockstep.core.definition.Percent;
import dev.lockstep.core.definition.RangeRule;
import dev.lockstep.core.definition.ReconciliationRule;
import dev.lockstep.core.definition.ReferencesRule;
import dev.lockstep.core.definition.RegexRule;
import dev.lockstep.core.definition.RuleKind;
import dev.lockstep.core.definition.Severity;
import dev.lockstep.core.definition.SqlExpression;
import dev.lockstep.core.definition.UniqueRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The quality rules of the definition format, declared once: the keys every rule takes, the keys of each kind, its
 * {@code on_fail} actions and documentation. {@link DefinitionFormat} declares the rest; both are read by the parser
 * and generate the JSON Schema and the reference documentation.
 */
public final class RuleFormat {

    static final Names.Rule RULE_NAME = new Names.Rule("rule name", false, List.of());

    private RuleFormat() {}

    public static final Field<RuleKind> RULE = required("rule", ChoiceType.of(RuleKind.class),
            "What the rule checks: " + String.join(", ", ChoiceType.of(RuleKind.class).names()) + ".");
    public static final Field<String> RULE_NAME_FIELD = optional("name", name(RULE_NAME),
            "Name of the rule, used in alerts, quarantine records and metrics; unique in the definition.")
            .withDefaultNote("`<rule>_<target>[_<columns>]`").withExample("customer_email_present");
    public static final Field<String> TARGET = required("target", reference("a dimension or fact"),
            "The dimension or fact whose conformed rows the rule checks.").withExample("customer");
    public static final Field<List<Located<String>>> RULE_COLUMNS = required("columns",
            list(reference("a column"), true, 1, true), "Column(s) of the target the rule checks.")
            .withExample("[email]");
    public static final Field<Severity> SEVERITY = optional("severity", ChoiceType.of(Severity.class),
            "Severity of the alerts the rule raises.").withDefault(Severity.WARNING).withExample("critical");
    public static final Field<Duration> RESOLVE_AFTER = optional("resolve_after",
            duration(Duration.ofSeconds(1), Duration.ofDays(7)),
            "How long the rule must pass again before its open alert resolves.")
            .withDefault(Duration.ofMinutes(5)).withExample("30m");
    public static final Field<String> REFERENCES_DIMENSION = required("dimension", reference("a dimension reference"),
            "The target fact's dimension reference to check.").withExample("product");
    public static final Field<Duration> GRACE = optional("grace", duration(Duration.ZERO, Duration.ofDays(30)),
            "How long a fact may point at an inferred member (one that has not arrived yet) before the rule fails.")
            .withDefault(Duration.ofHours(1)).withExample("30m");
    public static final Field<List<Located<String>>> VALUES = required("values", list(literal(), false, 1, true),
            "The accepted values.").withExample("[pending, paid, shipped, cancelled]");
    public static final Field<String> MIN = optional("min", bound(),
            "Lowest accepted value (inclusive): a number, date or timestamp.").withExample("0");
    public static final Field<String> MAX = optional("max", bound(),
            "Highest accepted value (inclusive): a number, date or timestamp.").withExample("10000");
    public static final Field<String> PATTERN = required("pattern", text("a regular expression"),
            "PostgreSQL regular expression (POSIX, as `~`) the values must match.")
            .withExample("'^[^@]+@[^@]+$'");
    public static final Field<SqlExpression> CHECK = required("check", expression(),
            "PostgreSQL boolean expression over the target's columns; rows for which it is false fail.")
            .withExample("amount >= 0");
    public static final Field<Percent> THRESHOLD = required("threshold", percent(),
            "Lowest share of rows, loaded over the window, that must have the columns set.").withExample("99.9%");
    public static final Field<Duration> WINDOW = optional("window", duration(Duration.ofMinutes(1), Duration.ofDays(30)),
            "Time window the share is computed over.").withDefault(Duration.ofHours(1)).withExample("1h");
    public static final Field<Duration> MAX_LAG = required("max_lag", duration(Duration.ofSeconds(1), Duration.ofDays(30)),
            "Largest accepted delay between a source commit and its load into the target.").withExample("5m");
    public static final Field<List<Located<String>>> SUMS = optional("sums", list(reference("a measure"), true, 0, true),
            "Measures whose sums are compared, besides row counts.").withDefault(List.of()).withExample("[amount]");
    public static final Field<Percent> COUNT_TOLERANCE = optional("count_tolerance", percent(),
            "Accepted relative difference between source and warehouse row counts.")
            .withDefault(Percent.of("0")).withExample("0.1%");
    public static final Field<Percent> SUM_TOLERANCE = optional("sum_tolerance", percent(),
            "Accepted relative difference between source and warehouse sums.")
            .withDefault(Percent.of("0")).withExample("0.01%");
    public static final Field<Duration> EVERY = optional("every", duration(Duration.ofMinutes(1), Duration.ofDays(7)),
            "How often to reconcile.").withDefault(Duration.ofHours(1)).withExample("6h");

    private static final Map<RuleKind, String> RULE_DOCS = Map.of(
            RuleKind.NOT_NULL, "Rows whose columns are null fail. Default on_fail: quarantine.",
            RuleKind.UNIQUE, "Rows sharing the columns' values with another current row fail. Default on_fail: "
                    + "deduplicate (keep the newest by source position).",
            RuleKind.REFERENCES, "Fact rows whose dimension member is still an inferred member (it has not arrived "
                    + "from the source) after the grace period fail. Default on_fail: unknown_member.",
            RuleKind.ACCEPTED_VALUES, "Rows whose columns hold a value outside `values` fail. Default on_fail: "
                    + "quarantine.",
            RuleKind.RANGE, "Rows whose columns fall outside [min, max] fail. Default on_fail: quarantine.",
            RuleKind.REGEX, "Rows whose columns do not match `pattern` fail. Default on_fail: quarantine.",
            RuleKind.EXPRESSION, "Rows for which the boolean `check` is false fail. Default on_fail: quarantine.",
            RuleKind.COMPLETENESS, "Aggregate: fails when fewer than `threshold` of the rows loaded over `window` "
                    + "have the columns set. Default on_fail: warn.",
            RuleKind.FRESHNESS, "Aggregate: fails when the target lags its source by more than `max_lag`. Default "
                    + "on_fail: warn.",
            RuleKind.RECONCILIATION, "Aggregate: every `every`, compares source and warehouse row counts, and the "
                    + "sums of `sums`, within tolerances. Default on_fail: warn.");

    /** The keys of each rule kind, after `rule`, `name` and `target`; `on_fail`, `severity`, `resolve_after` follow. */
    private static final Map<RuleKind, List<Field<?>>> KIND_FIELDS = kindFields();

    private static Map<RuleKind, List<Field<?>>> kindFields() {
        Map<RuleKind, List<Field<?>>> fields = new EnumMap<>(RuleKind.class);
        fields.put(RuleKind.NOT_NULL, List.of(RULE_COLUMNS));
        fields.put(RuleKind.UNIQUE, List.of(RULE_COLUMNS));
        fields.put(RuleKind.REFERENCES, List.of(REFERENCES_DIMENSION, GRACE));
        fields.put(RuleKind.ACCEPTED_VALUES, List.of(RULE_COLUMNS, VALUES));
        fields.put(RuleKind.RANGE, List.of(RULE_COLUMNS, MIN, MAX));
        fields.put(RuleKind.REGEX, List.of(RULE_COLUMNS, PATTERN));
        fields.put(RuleKind.EXPRESSION, List.of(CHECK));
        fields.put(RuleKind.COMPLETENESS, List.of(RULE_COLUMNS, THRESHOLD, WINDOW));
        fields.put(RuleKind.FRESHNESS, List.of(MAX_LAG));
        fields.put(RuleKind.RECONCILIATION, List.of(SUMS, COUNT_TOLERANCE, SUM_TOLERANCE, EVERY));
        return fields;
    }

    private static final Map<RuleKind, Class<?>> KIND_MODELS = Map.of(
            RuleKind.NOT_NULL, NotNullRule.class, RuleKind.UNIQUE, UniqueRule.class,
            RuleKind.REFERENCES, ReferencesRule.class, RuleKind.ACCEPTED_VALUES, AcceptedValuesRule.class,
            RuleKind.RANGE, RangeRule.class, RuleKind.REGEX, RegexRule.class,
            RuleKind.EXPRESSION, ExpressionRule.class, RuleKind.COMPLETENESS, CompletenessRule.class,
            RuleKind.FRESHNESS, FreshnessRule.class, RuleKind.RECONCILIATION, ReconciliationRule.class);

    /** The on_fail field of each rule kind: its allowed actions and its default. */
    public static final Map<RuleKind, Field<OnFail>> ON_FAIL = onFailFields();

    /** The spec of each rule kind. */
    public static final Map<RuleKind, ObjectSpec> RULE_SPECS = ruleSpecs();

    private static Map<RuleKind, Field<OnFail>> onFailFields() {
        Map<RuleKind, Field<OnFail>> fields = new EnumMap<>(RuleKind.class);
        for (RuleKind kind : RuleKind.values()) {
            Map<String, String> elsewhere = new LinkedHashMap<>();
            for (OnFail action : OnFail.values()) {
                if (!kind.allowedOnFail().contains(action)) {
                    List<String> kinds = Arrays.stream(RuleKind.values())
                            .filter(k -> k.allowedOnFail().contains(action)).map(RuleKind::yamlName).toList();
                    elsewhere.put(action.yamlName(), "for rule " + kind.yamlName() + " (only for "
                            + String.join(", ", kinds) + ")");
                }
            }
            fields.put(kind, optional("on_fail", ChoiceType.of(List.copyOf(kind.allowedOnFail()))
                    .withElsewhere(elsewhere), kind.perRow()
                    ? "What happens to a row that fails: " + describe(kind.allowedOnFail()) + "."
                    : "What happens when the check fails: " + describe(kind.allowedOnFail()) + ".")
                    .withDefault(kind.defaultOnFail()).withExample(kind.defaultOnFail().yamlName()));
        }
        return fields;
    }

    private static String describe(Set<OnFail> actions) {
        return String.join(", ", actions.stream().map(OnFail::yamlName).toList());
    }

    private static Map<RuleKind, ObjectSpec> ruleSpecs() {
        Map<RuleKind, ObjectSpec> specs = new EnumMap<>(RuleKind.class);
        Map<RuleKind, Field<OnFail>> onFail = ON_FAIL;
        for (RuleKind kind : RuleKind.values()) {
            List<Field<?>> fields = new ArrayList<>();
            fields.add(required("rule", ChoiceType.of(List.of(kind)), "`" + kind.yamlName() + "`."));
            fields.add(RULE_NAME_FIELD);
            fields.add(TARGET);
            fields.addAll(KIND_FIELDS.get(kind));
            fields.add(onFail.get(kind));
            fields.add(SEVERITY);
            fields.add(RESOLVE_AFTER);
            specs.put(kind, new ObjectSpec("rule_" + kind.yamlName(), "Rule `" + kind.yamlName() + "`",
                    RULE_DOCS.get(kind), KIND_MODELS.get(kind), fields));
        }
        return specs;
    }

    public static final CompositeTypes.Union RULES = CompositeTypes.Union.byValue("a quality rule", RULE,
            RULE_SPECS, "A quality rule; its `rule` key says which kind, and so which other keys it takes.");
}
