package dev.lockstep.core.definition.internal;

import static dev.lockstep.core.definition.internal.DefinitionFormat.*;
import static dev.lockstep.core.definition.internal.RuleFormat.*;

import dev.lockstep.core.definition.AcceptedValuesRule;
import dev.lockstep.core.definition.Alerts;
import dev.lockstep.core.definition.CompletenessRule;
import dev.lockstep.core.definition.DateDimension;
import dev.lockstep.core.definition.Dimension;
import dev.lockstep.core.definition.DimensionReference;
import dev.lockstep.core.definition.ExpressionRule;
import dev.lockstep.core.definition.Fact;
import dev.lockstep.core.definition.FreshnessRule;
import dev.lockstep.core.definition.Load;
import dev.lockstep.core.definition.Lookup;
import dev.lockstep.core.definition.NotNullRule;
import dev.lockstep.core.definition.OnFail;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.definition.RangeRule;
import dev.lockstep.core.definition.ReconciliationRule;
import dev.lockstep.core.definition.ReferencesRule;
import dev.lockstep.core.definition.RegexRule;
import dev.lockstep.core.definition.RuleKind;
import dev.lockstep.core.definition.ScdType;
import dev.lockstep.core.definition.Severity;
import dev.lockstep.core.definition.Sla;
import dev.lockstep.core.definition.Source;
import dev.lockstep.core.definition.SourceDimension;
import dev.lockstep.core.definition.SourcePostgres;
import dev.lockstep.core.definition.SqlExpression;
import dev.lockstep.core.definition.UniqueRule;
import dev.lockstep.core.definition.Warehouse;
import dev.lockstep.core.definition.WarehousePostgres;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Turns checked sections into the model; only called when binding and checks found no errors. */
public final class ModelBuilder {

    private ModelBuilder() {}

    /** Builds the definition from its root section. */
    public static PipelineDefinition build(Section root) {
        String pipeline = root.value(PIPELINE);
        Section source = root.value(SOURCE_FIELD);
        Section warehouse = root.value(WAREHOUSE_FIELD);
        Map<String, Dimension> dimensions = new LinkedHashMap<>();
        Targets.entries(root.value(DIMENSIONS)).forEach((name, d) -> dimensions.put(name, dimension(name, d.value())));
        Map<String, Fact> facts = new LinkedHashMap<>();
        Targets.entries(root.value(FACTS)).forEach((name, f) -> facts.put(name, fact(name, f.value())));
        List<QualityRule> rules = new ArrayList<>();
        for (Located<Section> rule : root.value(QUALITY)) {
            rules.add(rule(rule.value()));
        }
        Section load = orEmpty(root, LOAD_FIELD, LOAD);
        Section sla = orEmpty(root, SLA_FIELD, SLA);
        Section alerts = orEmpty(root, ALERTS_FIELD, ALERTS);
        return new PipelineDefinition(
                pipeline,
                root.value(TIMEZONE),
                new Source(sourcePostgres(source.value(SOURCE_CONNECTION), pipeline), Targets.values(source.value(TABLES)),
                        source.value(SNAPSHOT), source.value(FANOUT)),
                new Warehouse(warehousePostgres(warehouse.value(WAREHOUSE_CONNECTION)),
                        Optional.ofNullable(warehouse.value(SCHEMA)).orElse(pipeline),
                        Optional.ofNullable(warehouse.value(MIGRATIONS)), warehouse.value(KEEP_RETIRED)),
                dimensions,
                facts,
                rules,
                root.value(SCHEMA_CHANGES),
                new Load(load.value(BATCH_SIZE), load.value(MAX_BATCH_LATENCY)),
                new Sla(Optional.ofNullable(sla.value(LATENCY))),
                new Alerts(Targets.values(alerts.value(WEBHOOKS)), alerts.value(MIN_SEVERITY)));
    }

    private static Section orEmpty(Section parent, Field<Section> field, ObjectSpec spec) {
        Section section = parent.value(field);
        if (section != null) {
            return section;
        }
        YamlNode empty = new YamlNode.Scalar(YamlNode.ScalarKind.NULL, "", "", false, false, parent.location(), 0);
        return new Section(spec, ObjectSpec.join(parent.path(), field.key()), empty);
    }

    private static SourcePostgres sourcePostgres(Section s, String pipeline) {
        return new SourcePostgres(Optional.ofNullable(s.value(URL)), Optional.ofNullable(s.value(HOST)),
                s.value(PORT), Optional.ofNullable(s.value(DATABASE)), s.value(USER),
                Optional.ofNullable(s.value(PASSWORD)),
                Optional.ofNullable(s.value(SLOT)).orElse("lockstep_" + pipeline),
                Optional.ofNullable(s.value(PUBLICATION)).orElse("lockstep_" + pipeline));
    }

    private static WarehousePostgres warehousePostgres(Section s) {
        return new WarehousePostgres(Optional.ofNullable(s.value(URL)), Optional.ofNullable(s.value(HOST)),
                s.value(PORT), Optional.ofNullable(s.value(DATABASE)), s.value(USER),
                Optional.ofNullable(s.value(PASSWORD)));
    }

    private static Dimension dimension(String name, Section d) {
        if (Targets.isDate(d)) {
            return new DateDimension(name, d.value(GENERATED), d.value(DATE_FROM), d.value(DATE_TO));
        }
        Map<String, SqlExpression> columns = plain(d.value(COLUMNS));
        ScdType scd = d.value(SCD);
        List<String> tracked = d.has(TRACKED) ? Targets.values(d.value(TRACKED))
                : scd == ScdType.TYPE_2 ? List.copyOf(columns.keySet()) : List.of();
        return new SourceDimension(name, d.value(DIMENSION_FROM), Targets.values(d.value(NATURAL_KEY)), scd,
                lookups(d.value(LOOKUPS)), columns, plain(d.value(COLUMNS_RENAMED_FROM)), tracked, Targets.values(d.value(PII)), d.value(ON_DELETE));
    }

    private static Fact fact(String name, Section f) {
        Map<String, DimensionReference> references = new LinkedHashMap<>();
        Targets.entries(f.value(DIMENSION_REFERENCES)).forEach((role, r) -> references.put(role,
                new DimensionReference(role, Optional.ofNullable(r.value().value(REFERENCED_DIMENSION)).orElse(role),
                        Targets.values(r.value().value(REFERENCE_KEY)))));
        return new Fact(name, f.value(FACT_FROM), Targets.values(f.value(GRAIN)), lookups(f.value(LOOKUPS)),
                references, plain(f.value(MEASURES)), plain(f.value(MEASURES_RENAMED_FROM)), Optional.ofNullable(f.value(PARTITION_BY)), f.value(ON_DELETE));
    }

    private static Map<String, Lookup> lookups(Map<String, Located<Section>> lookups) {
        Map<String, Lookup> result = new LinkedHashMap<>();
        Targets.entries(lookups).forEach((name, l) -> result.put(name, new Lookup(name, l.value().value(LOOKUP_FROM),
                l.value().value(ON), Optional.ofNullable(l.value().value(LOOKUP_KEY)))));
        return result;
    }

    private static <T> Map<String, T> plain(Map<String, Located<T>> map) {
        Map<String, T> result = new LinkedHashMap<>();
        Targets.entries(map).forEach((k, v) -> result.put(k, v.value()));
        return result;
    }

    private static QualityRule rule(Section r) {
        RuleKind kind = RuleChecks.kindOf(r);
        String name = RuleChecks.nameOf(r);
        String target = r.value(TARGET);
        OnFail onFail = r.value(ON_FAIL.get(kind));
        Severity severity = r.value(SEVERITY);
        Duration resolveAfter = r.value(RESOLVE_AFTER);
        List<String> columns = Targets.values(r.value(RULE_COLUMNS));
        return switch (kind) {
            case NOT_NULL -> new NotNullRule(name, target, columns, onFail, severity, resolveAfter);
            case UNIQUE -> new UniqueRule(name, target, columns, onFail, severity, resolveAfter);
            case REFERENCES -> new ReferencesRule(name, target, r.value(REFERENCES_DIMENSION), r.value(GRACE), onFail,
                    severity, resolveAfter);
            case ACCEPTED_VALUES -> new AcceptedValuesRule(name, target, columns, Targets.values(r.value(VALUES)),
                    onFail, severity, resolveAfter);
            case RANGE -> new RangeRule(name, target, columns, Optional.ofNullable(r.value(MIN)),
                    Optional.ofNullable(r.value(MAX)), onFail, severity, resolveAfter);
            case REGEX -> new RegexRule(name, target, columns, r.value(PATTERN), onFail, severity, resolveAfter);
            case EXPRESSION -> new ExpressionRule(name, target, r.value(CHECK), onFail, severity, resolveAfter);
            case COMPLETENESS -> new CompletenessRule(name, target, columns, r.value(THRESHOLD), r.value(WINDOW),
                    onFail, severity, resolveAfter);
            case FRESHNESS -> new FreshnessRule(name, target, r.value(MAX_LAG), onFail, severity, resolveAfter);
            case RECONCILIATION -> new ReconciliationRule(name, target, Targets.values(r.value(SUMS)),
                    r.value(COUNT_TOLERANCE), r.value(SUM_TOLERANCE), r.value(EVERY), onFail, severity, resolveAfter);
        };
    }
}
