package dev.lockstep.core.definition.internal;

import static dev.lockstep.core.definition.internal.DefinitionFormat.COLUMNS;
import static dev.lockstep.core.definition.internal.DefinitionFormat.DIMENSIONS;
import static dev.lockstep.core.definition.internal.DefinitionFormat.DIMENSION_REFERENCES;
import static dev.lockstep.core.definition.internal.DefinitionFormat.FACTS;
import static dev.lockstep.core.definition.internal.DefinitionFormat.GRAIN;
import static dev.lockstep.core.definition.internal.DefinitionFormat.MEASURES;
import static dev.lockstep.core.definition.internal.DefinitionFormat.NATURAL_KEY;
import static dev.lockstep.core.definition.internal.DefinitionFormat.SCD;

import dev.lockstep.core.definition.DateDimension;
import dev.lockstep.core.definition.ScdType;
import dev.lockstep.core.definition.SourceDimension;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The dimensions and facts of a definition being checked, and the columns each one's table will have. */
final class Targets {

    /** The column every target gets for soft deletes. */
    static final String IS_DELETED = "is_deleted";

    private final Map<String, Located<Section>> dimensions;
    private final Map<String, Located<Section>> facts;

    Targets(Section root) {
        this.dimensions = orEmpty(root.value(DIMENSIONS));
        this.facts = orEmpty(root.value(FACTS));
    }

    private static Map<String, Located<Section>> orEmpty(Map<String, Located<Section>> map) {
        return map == null ? Map.of() : map;
    }

    Map<String, Located<Section>> dimensions() {
        return dimensions;
    }

    Map<String, Located<Section>> facts() {
        return facts;
    }

    /** Returns the names of all dimensions and facts. */
    Set<String> names() {
        Set<String> names = new LinkedHashSet<>(dimensions.keySet());
        names.addAll(facts.keySet());
        return names;
    }

    static boolean isDate(Section dimension) {
        return dimension.spec() == DefinitionFormat.DATE_DIMENSION;
    }

    /** Returns the columns a rule on this target can check, in table order; empty for an unknown target. */
    List<String> columnsOf(String target) {
        Located<Section> dimension = dimensions.get(target);
        Located<Section> fact = facts.get(target);
        List<String> columns = dimension != null ? dimensionColumns(target, dimension.value())
                : fact != null ? factColumns(fact.value()) : List.of();
        return List.copyOf(new LinkedHashSet<>(columns));
    }

    /** Returns the names Lockstep generates in a dimension's table, besides the key and the defined columns. */
    static List<String> generatedDimensionColumns(String name) {
        List<String> generated = new ArrayList<>(List.of(name + "_key"));
        generated.addAll(SourceDimension.SCD2_COLUMNS);
        generated.add(IS_DELETED);
        return generated;
    }

    static List<String> dimensionColumns(String name, Section dimension) {
        if (isDate(dimension)) {
            List<String> columns = new ArrayList<>(List.of(name + "_key"));
            columns.addAll(DateDimension.ATTRIBUTES.keySet());
            return columns;
        }
        List<String> columns = new ArrayList<>(List.of(name + "_key"));
        values(dimension.value(NATURAL_KEY)).forEach(columns::add);
        Map<String, Located<dev.lockstep.core.definition.SqlExpression>> defined = dimension.value(COLUMNS);
        if (defined != null) {
            columns.addAll(defined.keySet());
        }
        if (dimension.value(SCD) == ScdType.TYPE_2) {
            columns.addAll(SourceDimension.SCD2_COLUMNS);
        }
        columns.add(IS_DELETED);
        return columns;
    }

    static List<String> factColumns(Section fact) {
        List<String> columns = new ArrayList<>();
        values(fact.value(GRAIN)).forEach(columns::add);
        Map<String, Located<Section>> references = fact.value(DIMENSION_REFERENCES);
        if (references != null) {
            references.keySet().forEach(role -> columns.add(role + "_key"));
        }
        Map<String, Located<dev.lockstep.core.definition.SqlExpression>> measures = fact.value(MEASURES);
        if (measures != null) {
            columns.addAll(measures.keySet());
        }
        columns.add(IS_DELETED);
        return columns;
    }

    /** Returns the plain values of a located list (empty for null). */
    static <T> List<T> values(List<Located<T>> list) {
        return list == null ? List.of() : list.stream().map(Located::value).toList();
    }

    /** Returns the located values of a map in order (empty for null). */
    static <T> Map<String, Located<T>> entries(Map<String, Located<T>> map) {
        return map == null ? Map.of() : new LinkedHashMap<>(map);
    }
}
