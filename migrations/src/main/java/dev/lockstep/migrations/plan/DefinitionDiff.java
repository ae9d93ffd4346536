package dev.lockstep.migrations.plan;

import static dev.lockstep.migrations.plan.Operation.Kind.ADD_DIMENSION;
import static dev.lockstep.migrations.plan.Operation.Kind.ADD_FACT;
import static dev.lockstep.migrations.plan.Operation.Kind.ADD_RULE;
import static dev.lockstep.migrations.plan.Operation.Kind.ADD_SOURCE_TABLE;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_RULE;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_SETTING;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_TIMEZONE;
import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_WAREHOUSE_SCHEMA;
import static dev.lockstep.migrations.plan.Operation.Kind.DROP_DIMENSION;
import static dev.lockstep.migrations.plan.Operation.Kind.DROP_FACT;
import static dev.lockstep.migrations.plan.Operation.Kind.DROP_RULE;
import static dev.lockstep.migrations.plan.Operation.Kind.DROP_SOURCE_TABLE;
import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.definition.SourcePostgres;
import dev.lockstep.core.stream.TableId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The typed diff between the deployed version of a pipeline definition and the next one: what a deployment would
 * add, rebuild, drop or refuse. Renames are taken only from {@code renamed_from}, never guessed. Pure: it reads the
 * two models and nothing else.
 */
public final class DefinitionDiff {

    private DefinitionDiff() {}

    /**
     * Returns the operations that turn {@code deployed} into {@code next}; empty when they define the same pipeline.
     * Column types are not in the models: add them with {@link Diff#withColumnTypes}.
     *
     * @throws IllegalArgumentException when the two definitions are of different pipelines
     */
    public static Diff between(PipelineDefinition deployed, PipelineDefinition next) {
        requireNonNull(deployed, "deployed");
        requireNonNull(next, "next");
        if (!deployed.pipeline().equals(next.pipeline())) {
            throw new IllegalArgumentException("pipeline '" + next.pipeline() + "' is not pipeline '"
                    + deployed.pipeline() + "': a diff compares two versions of one pipeline");
        }
        List<Operation> operations = new ArrayList<>();
        pipeline(deployed, next, operations);
        targets(deployed.dimensions(), next.dimensions(), ADD_DIMENSION, DROP_DIMENSION, TargetDiff::dimension,
                operations);
        targets(deployed.facts(), next.facts(), ADD_FACT, DROP_FACT, TargetDiff::fact, operations);
        rules(deployed.quality(), next.quality(), operations);
        return new Diff(operations);
    }

    private static void pipeline(PipelineDefinition deployed, PipelineDefinition next, List<Operation> out) {
        List<TableId> before = deployed.source().tables();
        List<TableId> after = next.source().tables();
        after.stream().filter(t -> !before.contains(t)).forEach(t ->
                out.add(Operation.of(ADD_SOURCE_TABLE, "", t.toString(), Impact.ADDITIVE)));
        before.stream().filter(t -> !after.contains(t)).forEach(t ->
                out.add(Operation.of(DROP_SOURCE_TABLE, "", t.toString(), Impact.DESTRUCTIVE)
                        .withNote("drops the raw-layer table of " + t + " and stops capturing it")));
        if (!deployed.timezone().equals(next.timezone())) {
            out.add(Operation.refused(CHANGE_TIMEZONE, "", "timezone", deployed.timezone(), next.timezone(),
                    ManualSteps.timezone(next)));
        }
        if (!deployed.warehouse().schema().equals(next.warehouse().schema())) {
            out.add(Operation.refused(CHANGE_WAREHOUSE_SCHEMA, "", "warehouse.schema", deployed.warehouse().schema(),
                    next.warehouse().schema(), ManualSteps.warehouseSchema(deployed.warehouse().schema(),
                            next.warehouse().schema())));
        }
        SourcePostgres sourceBefore = deployed.source().postgres();
        SourcePostgres sourceAfter = next.source().postgres();
        if (!sourceBefore.slot().equals(sourceAfter.slot())) {
            out.add(Operation.refused(CHANGE_SETTING, "", "source.postgres.slot", sourceBefore.slot(),
                    sourceAfter.slot(), ManualSteps.slot(sourceBefore.slot(), next)));
        }
        if (!sourceBefore.publication().equals(sourceAfter.publication())) {
            out.add(Operation.refused(CHANGE_SETTING, "", "source.postgres.publication", sourceBefore.publication(),
                    sourceAfter.publication(), ManualSteps.publication(sourceBefore.publication(), next)));
        }
        settings(deployed, next, out);
    }

    /** The settings that change no warehouse table; connections are compared without showing them. */
    private static void settings(PipelineDefinition deployed, PipelineDefinition next, List<Operation> out) {
        Map<String, Function<PipelineDefinition, Object>> shown = new LinkedHashMap<>();
        shown.put("source.snapshot", d -> d.source().snapshot());
        shown.put("source.fanout", d -> d.source().fanout());
        shown.put("schema_changes", PipelineDefinition::schemaChanges);
        shown.put("load", PipelineDefinition::load);
        shown.put("sla", PipelineDefinition::sla);
        shown.put("warehouse.keep_retired", d -> d.warehouse().keepRetired());
        shown.forEach((key, value) -> {
            if (!Objects.equals(value.apply(deployed), value.apply(next))) {
                out.add(Operation.change(CHANGE_SETTING, "", key, yaml(value.apply(deployed)),
                        yaml(value.apply(next)), Impact.ADDITIVE));
            }
        });
        Map<String, Function<PipelineDefinition, Object>> hidden = new LinkedHashMap<>();
        hidden.put("source.postgres", d -> connection(d.source().postgres()));
        hidden.put("warehouse.postgres", d -> d.warehouse().postgres());
        hidden.put("alerts", PipelineDefinition::alerts);
        hidden.forEach((key, value) -> {
            if (!Objects.equals(value.apply(deployed), value.apply(next))) {
                out.add(Operation.of(CHANGE_SETTING, "", key, Impact.ADDITIVE));
            }
        });
    }

    /** Returns an enum constant as the definition writes it ({@code evolve}); other values as they are. */
    private static Object yaml(Object value) {
        return value instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : value;
    }

    /** The source connection without slot and publication, which have operations of their own. */
    private static List<Object> connection(SourcePostgres p) {
        return List.of(p.url(), p.host(), p.port(), p.database(), p.user(), p.password());
    }

    private static <T> void targets(Map<String, T> deployed, Map<String, T> next, Operation.Kind add,
            Operation.Kind drop, TargetComparison<T> compare, List<Operation> out) {
        next.forEach((name, target) -> {
            T before = deployed.get(name);
            if (before == null) {
                out.add(Operation.of(add, name, "", Impact.ADDITIVE));
            } else {
                compare.diff(before, target, out);
            }
        });
        deployed.keySet().stream().filter(name -> !next.containsKey(name)).forEach(name ->
                out.add(Operation.of(drop, name, "", Impact.DESTRUCTIVE)));
    }

    /** Compares two versions of one dimension or fact. */
    @FunctionalInterface
    interface TargetComparison<T> {
        void diff(T deployed, T next, List<Operation> out);
    }

    private static void rules(List<QualityRule> deployed, List<QualityRule> next, List<Operation> out) {
        Map<String, QualityRule> before = byName(deployed);
        Map<String, QualityRule> after = byName(next);
        after.forEach((name, rule) -> {
            QualityRule old = before.get(name);
            if (old == null) {
                out.add(Operation.of(ADD_RULE, rule.target(), name, Impact.ADDITIVE)
                        .withNote("checks rows loaded from now on; rows already loaded are not checked again"));
            } else if (!old.equals(rule)) {
                out.add(Operation.of(CHANGE_RULE, rule.target(), name, Impact.ADDITIVE)
                        .withNote("rows already loaded and quarantined are not checked again"));
            }
        });
        before.forEach((name, rule) -> {
            if (!after.containsKey(name)) {
                out.add(Operation.of(DROP_RULE, rule.target(), name, Impact.ADDITIVE)
                        .withNote("rows it quarantined stay in the quarantine ledger until replayed"));
            }
        });
    }

    private static Map<String, QualityRule> byName(List<QualityRule> rules) {
        Map<String, QualityRule> byName = new LinkedHashMap<>();
        rules.forEach(r -> byName.put(r.name(), r));
        return byName;
    }
}
