package dev.lockstep.warehouse.star;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.DateDimension;
import dev.lockstep.core.definition.Dimension;
import dev.lockstep.core.definition.DimensionReference;
import dev.lockstep.core.definition.Fact;
import dev.lockstep.core.definition.Lookup;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Problem;
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.definition.ScdType;
import dev.lockstep.core.definition.SourceDimension;
import dev.lockstep.core.definition.SqlExpression;
import dev.lockstep.core.definition.live.ConnectedReport;
import dev.lockstep.core.definition.live.ConnectedValidator;
import dev.lockstep.core.definition.live.DerivedColumn;
import dev.lockstep.core.definition.live.ExpressionTypeChecker;
import dev.lockstep.core.definition.live.SourceCatalog;
import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.warehouse.RawLayerTypes;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The star schema a definition describes, with the PostgreSQL type of every column: natural keys and grains from
 * the source catalog (as the raw layer holds them), attributes and measures as PostgreSQL typed their expressions.
 * The DDL and the applier's SQL are both generated from it.
 */
public record StarSchema(
        String schema,
        ZoneId timezone,
        List<DimensionTable> dimensions,
        Optional<DateDimension> date,
        List<FactTable> facts,
        Map<TableId, SourceTable> sources,
        List<QualityRule> quality) {

    /** A warehouse column and its PostgreSQL type. */
    public record Column(String name, String type) {
        public Column {
            requireNonNull(name, "name");
            requireNonNull(type, "type");
        }
    }

    /** A lookup joined to the table a dimension or fact reads, with the looked-up table's key column. */
    public record Join(Lookup lookup, String key) {
        public Join {
            requireNonNull(lookup, "lookup");
            requireNonNull(key, "key");
        }
    }

    /** A dimension built from a source table: natural key and attribute columns with their types. */
    public record DimensionTable(SourceDimension definition, List<Column> key, List<Column> attributes,
            List<Join> joins) {
        public DimensionTable {
            requireNonNull(definition, "definition");
            key = List.copyOf(key);
            attributes = List.copyOf(attributes);
            joins = List.copyOf(joins);
        }

        /** Returns true for a type 2 dimension. */
        public boolean scd2() {
            return definition.scd() == ScdType.TYPE_2;
        }

        /** Returns the attributes whose change starts a new version (SCD 2): all of them unless the definition names some. */
        public List<Column> tracked() {
            if (definition.tracked().isEmpty()) {
                return attributes;
            }
            return attributes.stream().filter(a -> definition.tracked().contains(a.name())).toList();
        }
    }

    /** A fact's reference to a dimension, resolved: the dimension, and the types of its natural key. */
    public record Reference(DimensionReference definition, Dimension dimension, List<Column> naturalKey) {
        public Reference {
            requireNonNull(definition, "definition");
            requireNonNull(dimension, "dimension");
            naturalKey = List.copyOf(naturalKey);
        }

        /** Returns true when the reference is to the generated date dimension. */
        public boolean toDate() {
            return dimension instanceof DateDimension;
        }
    }

    /** A fact table: grain columns, dimension references and measures with their types. */
    public record FactTable(Fact definition, List<Column> grain, List<Reference> references, List<Column> measures,
            List<Join> joins) {
        public FactTable {
            requireNonNull(definition, "definition");
            grain = List.copyOf(grain);
            references = List.copyOf(references);
            measures = List.copyOf(measures);
            joins = List.copyOf(joins);
        }

        /** Returns the reference the table is partitioned by (monthly on its date key), if any. */
        public Optional<Reference> partition() {
            return definition.partitionBy().flatMap(p -> references.stream()
                    .filter(r -> r.definition().name().equals(p)).findFirst());
        }
    }

    public StarSchema {
        requireNonNull(schema, "schema");
        requireNonNull(timezone, "timezone");
        dimensions = List.copyOf(dimensions);
        requireNonNull(date, "date");
        facts = List.copyOf(facts);
        sources = Map.copyOf(sources);
        quality = List.copyOf(quality);
    }

    /**
     * Checks {@code parsed} against its databases — exactly what {@code lockstep validate --connect} checks — and
     * returns its star schema typed by PostgreSQL; every error, with its position, is in one
     * {@link ErrorCode#INVALID_INPUT} exception.
     */
    public static StarSchema typed(ParsedDefinition parsed, SourceCatalog catalog, ExpressionTypeChecker checker) {
        if (!parsed.isValid() || parsed.definition().isEmpty()) {
            throw invalid("invalid definition", parsed.errors());
        }
        PipelineDefinition definition = parsed.definition().get();
        ConnectedReport report = ConnectedValidator.validate(parsed, catalog, checker);
        if (!report.isValid()) {
            throw invalid("the definition does not fit its databases",
                    report.problems().stream().filter(Problem::isError).toList());
        }
        return of(definition, catalog.describe(definition.source().tables()), report.columns());
    }

    private static LockstepException invalid(String what, List<Problem> problems) {
        return new LockstepException(ErrorCode.INVALID_INPUT, what + ":\n" + problems.stream().map(Problem::format)
                .collect(Collectors.joining("\n")));
    }

    /**
     * Returns the statement that sets a session's time zone to the definition's: every session that evaluates the
     * definition's expressions or derives date keys (loading, rebuilding, checking, reconciling) runs it first.
     */
    public String setTimeZone() {
        return "SET TIME ZONE '" + timezone.getId().replace("'", "''") + "'";
    }

    /** Returns the quality rules on {@code target}, in definition order. */
    public List<QualityRule> rulesOn(String target) {
        return quality.stream().filter(r -> r.target().equals(target)).toList();
    }

    /**
     * Builds the star schema of {@code definition}: {@code sources} describes its source tables, {@code derived}
     * gives PostgreSQL's type of each column and measure expression (as {@code lockstep validate --connect}
     * reports them).
     */
    public static StarSchema of(PipelineDefinition definition, Map<TableId, SourceTable> sources,
            List<DerivedColumn> derived) {
        Map<String, String> types = new HashMap<>();
        derived.forEach(c -> types.put(c.table() + "." + c.column(), c.type()));
        List<DimensionTable> dimensions = new ArrayList<>();
        Optional<DateDimension> date = Optional.empty();
        for (Dimension dimension : definition.dimensions().values()) {
            if (dimension instanceof SourceDimension d) {
                if (d.columns().isEmpty()) {
                    throw new LockstepException(ErrorCode.INVALID_INPUT, "dimension " + d.name() + " has no columns; "
                            + "the applier cannot load a dimension of natural keys only yet: give it at least one column");
                }
                List<Column> attributes = d.columns().keySet().stream()
                        .map(c -> new Column(c, type(types, d.tableName(), c))).toList();
                dimensions.add(new DimensionTable(d, sourceColumns(sources, d.from(), d.key()), attributes,
                        joins(sources, d.lookup())));
            } else if (dimension instanceof DateDimension d) {
                date = Optional.of(d);
            }
        }
        List<FactTable> facts = new ArrayList<>();
        for (Fact fact : definition.facts().values()) {
            List<Reference> references = new ArrayList<>();
            for (DimensionReference reference : fact.dimensions().values()) {
                Dimension dimension = definition.dimensions().get(reference.dimension());
                List<Column> naturalKey = dimension instanceof SourceDimension d
                        ? sourceColumns(sources, d.from(), d.key()) : List.of(new Column("date", "date"));
                references.add(new Reference(reference, dimension, naturalKey));
            }
            List<Column> measures = fact.measures().keySet().stream()
                    .map(m -> new Column(m, type(types, fact.tableName(), m))).toList();
            facts.add(new FactTable(fact, sourceColumns(sources, fact.from(), fact.grain()), references, measures,
                    joins(sources, fact.lookup())));
        }
        return new StarSchema(definition.warehouse().schema(), definition.timezone(), dimensions, date, facts,
                sources, definition.quality());
    }

    /**
     * Returns, per source table, the columns lookups join on: the raw layer indexes them, so that a changed
     * looked-up row finds the rows that refer to it without a scan.
     */
    public Map<TableId, Set<String>> lookupColumns() {
        Map<TableId, Set<String>> columns = new TreeMap<>(
                Comparator.comparing(TableId::toString));
        List<Map.Entry<TableId, List<Join>>> targets = new ArrayList<>();
        dimensions.forEach(d -> targets.add(Map.entry(d.definition().from(), d.joins())));
        facts.forEach(f -> targets.add(Map.entry(f.definition().from(), f.joins())));
        for (Map.Entry<TableId, List<Join>> target : targets) {
            for (Join join : target.getValue()) {
                Lookup lookup = join.lookup();
                TableId table = lookup.on().lookup().map(l -> target.getValue().stream()
                        .filter(j -> j.lookup().name().equals(l)).findFirst().orElseThrow().lookup().from())
                        .orElse(target.getKey());
                columns.computeIfAbsent(table, t -> new TreeSet<>()).add(lookup.on().column());
            }
        }
        return columns;
    }

    /**
     * Returns, per source table the targets look up, the columns whose change re-derives the rows that look it up:
     * the columns the targets' expressions use through the lookup (or unqualified, when the looked-up table has such
     * a column), the lookup's key, and the columns other lookups join on through it. A change of any other column —
     * an order's status, when the order lines use only its customer and date — leaves those rows as they are, so a
     * fact keeps the dimension versions it was resolved to. A table is absent when every column counts: an
     * expression of a target looking it up that the SQL parser cannot read, or that uses the lookup as a whole row.
     */
    public Map<TableId, Set<String>> lookedUpColumns() {
        Map<TableId, Set<String>> columns = new TreeMap<>(Comparator.comparing(TableId::toString));
        Set<TableId> everyColumn = new HashSet<>();
        for (DimensionTable d : dimensions) {
            lookedUp(d.joins(), d.definition().columns().values(), columns, everyColumn);
        }
        for (FactTable f : facts) {
            List<SqlExpression> expressions = new ArrayList<>(f.definition().measures().values());
            f.definition().dimensions().values().forEach(r -> expressions.addAll(r.key()));
            lookedUp(f.joins(), expressions, columns, everyColumn);
        }
        everyColumn.forEach(columns::remove);
        return columns;
    }

    private void lookedUp(List<Join> joins, Collection<SqlExpression> expressions,
            Map<TableId, Set<String>> columns, Set<TableId> everyColumn) {
        for (Join join : joins) {
            TableId table = join.lookup().from();
            String alias = join.lookup().name();
            Set<String> used = columns.computeIfAbsent(table, t -> new TreeSet<>());
            used.add(join.key());
            joins.stream().filter(j -> j.lookup().on().lookup().filter(alias::equals).isPresent())
                    .forEach(j -> used.add(j.lookup().on().column()));
            Set<String> tableColumns = sources.get(table).columns().stream().map(SourceColumn::name)
                    .collect(Collectors.toSet());
            for (SqlExpression expression : expressions) {
                Optional<List<SqlExpression.ColumnUse>> uses = expression.columns();
                if (uses.isEmpty()) {
                    everyColumn.add(table);
                    continue;
                }
                for (SqlExpression.ColumnUse use : uses.get()) {
                    if (use.qualifier().filter(alias::equals).isPresent()) {
                        used.add(use.column());
                    } else if (use.qualifier().isEmpty() && use.column().equals(alias)) {
                        everyColumn.add(table); // the lookup's whole row
                    } else if (use.qualifier().isEmpty() && tableColumns.contains(use.column())) {
                        used.add(use.column());
                    }
                }
            }
        }
    }

    /** Returns the dimension table named {@code name}. */
    public Optional<DimensionTable> dimension(String name) {
        return dimensions.stream().filter(d -> d.definition().name().equals(name)).findFirst();
    }

    private static String type(Map<String, String> types, String table, String column) {
        String type = types.get(table + "." + column);
        if (type == null) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "no type for " + table + "." + column
                    + "; PostgreSQL could not type its expression (run lockstep validate --connect)");
        }
        return type;
    }

    private static List<Column> sourceColumns(Map<TableId, SourceTable> sources, TableId table, List<String> names) {
        SourceTable source = source(sources, table);
        return names.stream().map(name -> {
            SourceColumn column = source.column(name).orElseThrow(() -> new LockstepException(
                    ErrorCode.INVALID_INPUT, "source table " + table + " has no column " + name));
            return new Column(name, RawLayerTypes.of(column));
        }).toList();
    }

    private static List<Join> joins(Map<TableId, SourceTable> sources, Map<String, Lookup> lookups) {
        List<Join> joins = new ArrayList<>();
        for (Lookup lookup : dependenciesFirst(lookups)) {
            SourceTable target = source(sources, lookup.from());
            String key = lookup.key().orElseGet(() -> {
                if (target.primaryKey().size() != 1) {
                    throw new LockstepException(ErrorCode.INVALID_INPUT, "lookup " + lookup.name() + " needs a key: "
                            + lookup.from() + " has a primary key of " + target.primaryKey().size() + " columns");
                }
                return target.primaryKey().get(0);
            });
            joins.add(new Join(lookup, key));
        }
        return joins;
    }

    /** Orders lookups so that one joined on another's column comes after it (the definition forbids cycles). */
    private static List<Lookup> dependenciesFirst(Map<String, Lookup> lookups) {
        List<Lookup> ordered = new ArrayList<>();
        Set<String> placed = new HashSet<>();
        while (ordered.size() < lookups.size()) {
            int before = ordered.size();
            for (Lookup lookup : lookups.values()) {
                if (!placed.contains(lookup.name())
                        && lookup.on().lookup().map(l -> placed.contains(l) || !lookups.containsKey(l)).orElse(true)) {
                    ordered.add(lookup);
                    placed.add(lookup.name());
                }
            }
            if (ordered.size() == before) {
                throw new LockstepException(ErrorCode.INVALID_INPUT, "lookups " + lookups.keySet()
                        + " refer to each other in a cycle");
            }
        }
        return ordered;
    }

    private static SourceTable source(Map<TableId, SourceTable> sources, TableId table) {
        SourceTable source = sources.get(table);
        if (source == null) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "source table " + table + " is not described");
        }
        return source;
    }
}
