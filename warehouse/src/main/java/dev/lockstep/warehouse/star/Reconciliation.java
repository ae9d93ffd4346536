package dev.lockstep.warehouse.star;

import static dev.lockstep.warehouse.star.StarSchemaDdl.quote;
import static java.util.Objects.requireNonNull;

import dev.lockstep.control.QuarantineStore;
import dev.lockstep.core.definition.SqlExpression;
import dev.lockstep.warehouse.star.StarSchema.Column;
import dev.lockstep.warehouse.star.StarSchema.DimensionTable;
import dev.lockstep.warehouse.star.StarSchema.FactTable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The queries that reconcile a target with its source: one over the source database (the target's table joined with
 * its lookups, as the definition's expressions see it) and one over the warehouse, each returning one row — the
 * row count, then the sum of each named measure (or numeric attribute).
 *
 * <p>The warehouse side accounts for quarantine: a key with an open quarantine row counts once, with the values of
 * its newest quarantined row (a quarantined change of a key the warehouse already had supersedes the loaded row);
 * keys without one count with their current warehouse row — a dimension's current, live, non-inferred members, a
 * fact's live rows.
 */
public final class Reconciliation {

    private final String pipeline;
    private final Map<String, TargetSql> targets = new LinkedHashMap<>();
    private final Map<String, Map<String, SqlExpression>> expressions = new LinkedHashMap<>();
    private final Map<String, String> tables = new LinkedHashMap<>();

    /** Returns the reconciliation of every target of {@code star}, a star schema of {@code pipeline}. */
    public Reconciliation(StarSchema star, String pipeline) {
        this.pipeline = requireNonNull(pipeline, "pipeline");
        for (DimensionTable dimension : star.dimensions()) {
            String name = dimension.definition().name();
            targets.put(name, new DimensionSql(star, dimension, Map.of(), "lockstep_r"));
            expressions.put(name, dimension.definition().columns());
            tables.put(name, StarSchemaDdl.table(star, dimension.definition().tableName()));
        }
        for (FactTable fact : star.facts()) {
            String name = fact.definition().name();
            targets.put(name, new FactSql(star, fact, Map.of(), "lockstep_r"));
            expressions.put(name, fact.definition().measures());
            tables.put(name, StarSchemaDdl.table(star, fact.definition().tableName()));
        }
    }

    /** Returns the names of the targets, dimensions first. */
    public List<String> targets() {
        return List.copyOf(targets.keySet());
    }

    /** Returns the warehouse table of {@code target}, schema-qualified. */
    public String table(String target) {
        return require(target, tables.get(target));
    }

    /**
     * Returns a relation of the rows the stream loaded into {@code target}: every version of a dimension's members
     * but the unknown member and inferred members (which no source row made), every row of a fact.
     */
    public String loadedRows(String target) {
        TargetSql sql = require(target, targets.get(target));
        return sql instanceof DimensionSql d ? "(SELECT * FROM " + table(target) + " WHERE " + quote(d.dimension()
                .definition().surrogateKey()) + " <> " + StarSchemaDdl.UNKNOWN_MEMBER + " AND NOT is_inferred)"
                : table(target);
    }

    /** Returns the query over the source database: row count, then {@code sum(<expression>)} per measure. */
    public String sourceQuery(String target, List<String> sums) {
        TargetSql sql = require(target, targets.get(target));
        List<String> select = new ArrayList<>(List.of("count(*)"));
        for (String measure : sums) {
            select.add("sum(" + expression(target, measure) + ")");
        }
        return "SELECT " + String.join(", ", select) + " FROM " + sql.sourceTablesJoin();
    }

    /** Returns the query over the warehouse: row count and sums, quarantined rows accounted for. */
    public String warehouseQuery(String target, List<String> sums) {
        TargetSql sql = require(target, targets.get(target));
        String keyObject = TargetSql.keyObject(sql.key, "w");
        String current = sql instanceof DimensionSql ? "(SELECT * FROM " + sql.currentRows() + " d WHERE NOT "
                + "d.is_inferred)" : sql.currentRows();
        String open = openQuarantine(target);
        List<String> loaded = new ArrayList<>(List.of("count(*) AS c0"));
        List<String> quarantined = new ArrayList<>(List.of("count(*) AS c0"));
        List<String> total = new ArrayList<>(List.of("w.c0 + q.c0"));
        for (int i = 1; i <= sums.size(); i++) {
            String measure = sums.get(i - 1);
            String type = column(sql, measure).orElseThrow(() -> new IllegalArgumentException(target
                    + " has no column " + measure + " to sum")).type();
            loaded.add("sum(" + quote(measure) + ") AS c" + i);
            quarantined.add("sum((conformed_row ->> " + TargetSql.literal(measure) + ")::" + type + ") AS c" + i);
            total.add("CASE WHEN w.c" + i + " IS NULL AND q.c" + i + " IS NULL THEN NULL ELSE coalesce(w.c" + i
                    + ", 0) + coalesce(q.c" + i + ", 0) END");
        }
        return "SELECT " + String.join(", ", total) + " FROM (SELECT " + String.join(", ", loaded) + " FROM " + current
                + " w WHERE NOT EXISTS (SELECT 1 FROM " + open + " q WHERE q.natural_key = " + keyObject + ")) w, "
                + "(SELECT " + String.join(", ", quarantined) + " FROM " + open + " q) q";
    }

    /** Returns the names of the dimensions loaded from a source table (those with per-key attributes to compare). */
    public List<String> dimensions() {
        return targets.entrySet().stream().filter(e -> e.getValue() instanceof DimensionSql).map(Map.Entry::getKey)
                .toList();
    }

    /** Returns the names of the facts. */
    public List<String> facts() {
        return targets.entrySet().stream().filter(e -> e.getValue() instanceof FactSql).map(Map.Entry::getKey)
                .toList();
    }

    /** Returns the names of the SCD 2 dimensions. */
    public List<String> scd2Dimensions() {
        return targets.entrySet().stream().filter(e -> e.getValue() instanceof DimensionSql d && d.dimension().scd2())
                .map(Map.Entry::getKey).toList();
    }

    /**
     * Returns the measures of {@code target} that PostgreSQL can sum (numbers, money, intervals), in definition
     * order: a text or date measure is compared per key only ({@link #warehouseRows}), its sum does not exist.
     */
    public List<String> summedMeasures(String target) {
        TargetSql sql = require(target, targets.get(target));
        return sql instanceof FactSql ? columns(sql).stream().filter(c -> SUMMABLE.matcher(c.type()).matches())
                .map(Column::name).toList() : List.of();
    }

    private static final Pattern SUMMABLE = Pattern.compile("(smallint|integer|bigint|real|double precision|money|"
            + "interval|numeric)(\\(.*\\))?");

    /** Returns the measures of {@code fact}, in definition order (empty for a dimension). */
    public List<String> measures(String target) {
        TargetSql sql = require(target, targets.get(target));
        return sql instanceof FactSql ? columns(sql).stream().map(Column::name).toList() : List.of();
    }

    /**
     * Returns the query over the source database giving, per key of {@code target}, the key (the text of its JSON
     * object, as the quarantine ledger writes natural keys), the text of the row of the values the definition's
     * expressions compute from the source row — a dimension's attributes, a fact's measures, cast to the warehouse's
     * types — without the PII columns, and the MD5 of the PII columns' row (null when there are none); ordered by key
     * in the C collation.
     */
    public String sourceRows(String target) {
        TargetSql sql = require(target, targets.get(target));
        List<String> values = new ArrayList<>();
        List<String> pii = new ArrayList<>();
        for (Column column : columns(sql)) {
            String value = "(" + expression(target, column.name()) + ")::" + column.type();
            (sql.pii().contains(column.name()) ? pii : values).add(value);
        }
        return "SELECT k, v, p FROM (SELECT " + TargetSql.keyObject(sql.key, sql.baseAlias()) + "::text AS k, "
                + rowText(values) + " AS v, " + piiHash(pii) + " AS p FROM " + sql.sourceTablesJoin()
                + ") x ORDER BY k COLLATE \"C\"";
    }

    /**
     * Returns the query over the warehouse giving, per key of {@code target}, the values of its current row — a
     * dimension's current, non-inferred member — or, for a key with an open quarantine row, of its newest quarantined
     * row, in the form and order of {@link #sourceRows}. The ledger keeps PII masked, so a quarantined key's PII hash
     * is null: unknown, not compared.
     */
    public String warehouseRows(String target) {
        TargetSql sql = require(target, targets.get(target));
        List<String> loaded = new ArrayList<>();
        List<String> quarantined = new ArrayList<>();
        List<String> pii = new ArrayList<>();
        for (Column column : columns(sql)) {
            if (sql.pii().contains(column.name())) {
                pii.add("w." + quote(column.name()));
            } else {
                loaded.add("w." + quote(column.name()));
                quarantined.add("(q.conformed_row ->> " + TargetSql.literal(column.name()) + ")::" + column.type());
            }
        }
        String open = openQuarantine(target);
        return "SELECT k, v, p FROM (SELECT " + TargetSql.keyObject(sql.key, "w") + "::text AS k, " + rowText(loaded)
                + " AS v, " + piiHash(pii) + " AS p FROM " + sql.currentRows() + " w WHERE "
                + (sql instanceof DimensionSql ? "NOT w.is_inferred AND " : "") + "NOT EXISTS (SELECT 1 FROM " + open
                + " q WHERE q.natural_key = " + TargetSql.keyObject(sql.key, "w") + ") UNION ALL SELECT "
                + "q.natural_key::text, " + rowText(quarantined) + ", NULL FROM " + open + " q) x ORDER BY k COLLATE "
                + "\"C\"";
    }

    /** A dimension's attributes, a fact's measures: the values the definition's expressions compute. */
    private static List<Column> columns(TargetSql sql) {
        return sql instanceof DimensionSql d ? d.dimension().attributes() : ((FactSql) sql).fact().measures();
    }

    private static String rowText(List<String> values) {
        return values.isEmpty() ? "''" : "row(" + String.join(", ", values) + ")::text";
    }

    private static String piiHash(List<String> values) {
        return values.isEmpty() ? "NULL::text" : "md5(row(" + String.join(", ", values) + ")::text)";
    }

    /**
     * Returns the query checking the version chains of SCD 2 {@code dimension} in the warehouse, one row: versions,
     * keys, keys with more than one current version, versions whose {@code valid_to} is not the next version's
     * {@code valid_from}, and versions whose tracked attributes repeat the previous version's (neither should exist).
     * The unknown member and inferred members are left out.
     */
    public String scd2Chains(String dimension) {
        DimensionSql sql = dimensionSql(dimension);
        if (!sql.dimension().scd2()) {
            throw new IllegalArgumentException(dimension + " is not an SCD 2 dimension");
        }
        String keys = sql.key.stream().map(c -> "v." + quote(c.name())).collect(Collectors.joining(", "));
        String tracked = "row(" + sql.dimension().tracked().stream().map(c -> "v." + quote(c.name()))
                .collect(Collectors.joining(", ")) + ")::text";
        return "SELECT count(*), count(DISTINCT member), "
                + "(SELECT count(*) FROM (SELECT 1 FROM " + loadedRows(dimension) + " v WHERE v.is_current GROUP BY "
                + keys + " HAVING count(*) > 1) d), "
                + "count(*) FILTER (WHERE next_from IS NOT NULL AND valid_to <> next_from), "
                + "count(*) FILTER (WHERE previous IS NOT NULL AND previous = tracked) "
                + "FROM (SELECT " + TargetSql.keyObject(sql.key, "v") + " AS member, v.valid_to, lead(v.valid_from) "
                + "OVER w AS next_from, " + tracked + " AS tracked, lag(" + tracked + ") OVER w AS previous FROM "
                + loadedRows(dimension) + " v WINDOW w AS (PARTITION BY " + keys + " ORDER BY v.valid_from)) c";
    }

    /** Returns the key columns of fact {@code target}'s dimension references, in definition order. */
    public List<String> references(String target) {
        return factSql(target).fact().references().stream().map(r -> r.definition().column()).toList();
    }

    /**
     * Returns the query counting, for each of {@link #references(String) fact {@code target}'s references}, the fact
     * rows whose key is no row of the dimension (one column each; every one should be 0): the applier resolves every
     * key itself and its session may skip the foreign keys' per-row checks, so this is where they are verified. Only
     * for a fact with at least one reference.
     */
    public String danglingReferences(String target) {
        FactSql sql = factSql(target);
        if (sql.fact().references().isEmpty()) {
            throw new IllegalArgumentException(target + " references no dimension");
        }
        List<String> counts = new ArrayList<>();
        for (StarSchema.Reference reference : sql.fact().references()) {
            String dimension = StarSchemaDdl.table(sql.star, reference.dimension().tableName());
            String column = quote(reference.definition().column());
            String surrogate = quote(reference.dimension().surrogateKey());
            counts.add("count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM " + dimension + " d WHERE d." + surrogate
                    + " = f." + column + "))");
        }
        return "SELECT " + String.join(", ", counts) + " FROM " + table(target) + " f";
    }

    private FactSql factSql(String target) {
        if (require(target, targets.get(target)) instanceof FactSql f) {
            return f;
        }
        throw new IllegalArgumentException(target + " is a dimension, not a fact");
    }

    private String openQuarantine(String target) {
        return QuarantineStore.openRowsSql(pipeline, target);
    }

    private DimensionSql dimensionSql(String dimension) {
        if (require(dimension, targets.get(dimension)) instanceof DimensionSql d) {
            return d;
        }
        throw new IllegalArgumentException(dimension + " is a fact, not a dimension");
    }

    private String expression(String target, String measure) {
        SqlExpression expression = expressions.get(target).get(measure);
        if (expression == null) {
            throw new IllegalArgumentException(target + " has no column " + measure + " to sum");
        }
        return expression.sql();
    }

    private static Optional<Column> column(TargetSql sql, String name) {
        return columns(sql).stream().filter(c -> c.name().equals(name)).findFirst();
    }

    private static <T> T require(String target, T value) {
        if (value == null) {
            throw new IllegalArgumentException("no dimension or fact named " + target);
        }
        return value;
    }
}
