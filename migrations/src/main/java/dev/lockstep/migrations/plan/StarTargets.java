package dev.lockstep.migrations.plan;

import static dev.lockstep.migrations.plan.MigrationPlan.retiredSchema;

import dev.lockstep.core.definition.Lookup;
import dev.lockstep.core.definition.SqlExpression;
import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.warehouse.star.StarSchema;
import dev.lockstep.warehouse.star.StarSchema.Column;
import dev.lockstep.warehouse.star.StarSchemaDdl;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a plan's statements name in a typed star schema — a target's table, columns, lookups and references — and
 * the statements a plan builds from those alone.
 */
final class StarTargets {

    private StarTargets() {}

    /** Returns the attribute or measure {@code name} of target {@code target} in {@code star}, with its type. */
    static Optional<Column> column(StarSchema star, String target, String name) {
        List<Column> columns = star.dimension(target).map(StarSchema.DimensionTable::attributes)
                .or(() -> star.facts().stream().filter(f -> f.definition().name().equals(target)).findFirst()
                        .map(StarSchema.FactTable::measures))
                .orElse(List.of());
        return columns.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** Returns fact {@code target} of {@code star}, if it is one. */
    static Optional<StarSchema.FactTable> fact(StarSchema star, String target) {
        return star.facts().stream().filter(f -> f.definition().name().equals(target)).findFirst();
    }

    /** Returns the lookups of dimension or fact {@code target} in {@code star}, by name. */
    static Map<String, Lookup> lookups(StarSchema star, String target) {
        return star.dimension(target).map(d -> d.definition().lookup()).or(() -> fact(star, target).map(f -> f.definition().lookup())).orElse(Map.of());
    }

    /**
     * Tells whether {@code expression} uses a column of one of {@code lookups}; an expression the parser cannot read
     * may use any, so it counts as using them.
     */
    static boolean uses(SqlExpression expression, Set<String> lookups) {
        return expression.columns().map(columns -> columns.stream().anyMatch(c -> c.qualifier()
                .filter(lookups::contains).isPresent())).orElse(true);
    }

    /**
     * Returns the name PostgreSQL gives an unnamed index on {@code table (column)} — the name the first version's
     * raw layer has — or, when that is longer than an identifier may be, a short name of its own.
     */
    static String indexName(String table, String column) {
        String name = table + "_" + column + "_idx";
        return name.getBytes(StandardCharsets.UTF_8).length <= 63 ? name
                : "lockstep_lookup_" + Integer.toHexString(name.hashCode());
    }


    /** Returns the qualified table of target {@code target} in {@code star}. */
    static String table(StarSchema star, String target) {
        return StarSchemaDdl.qualified(star, tableName(star, target));
    }

    /** Returns the table name of target {@code target} in {@code star} (the target's name when it has none). */
    static String tableName(StarSchema star, String target) {
        return star.dimension(target).map(d -> d.definition().tableName())
                .or(() -> star.facts().stream().filter(f -> f.definition().name().equals(target)).findFirst()
                        .map(f -> f.definition().tableName()))
                .orElse(target);
    }

    static String unquoted(String quoted) {
        return quoted.substring(1, quoted.length() - 1).replace("\"\"", "\"");
    }

    static String quote(String identifier) {
        return SqlIdentifiers.quote(identifier);
    }

    /** Returns how a reference's key column is derived for the rows already loaded. */
    static String resolved(StarSchema.Reference r) {
        return r.toDate() ? "the day's key derived from the raw layer (no day: the unknown member -1)" : "resolved "
                + "against dimension " + r.dimension().name() + " from the raw layer (a member it does not have: the "
                + "unknown member -1 until the row changes)";
    }

    /** Returns the key column of reference {@code r}: a day's {@code integer}, a member's {@code bigint}. */
    static Column keyColumn(StarSchema.Reference r) {
        return new Column(r.definition().column(), r.toDate() ? "integer" : "bigint");
    }

    /**
     * Returns the statement dropping {@code table}'s unique index on exactly {@code key} (an SCD 1 dimension's natural
     * key, which the versions of an SCD 2 one would violate), found by structure: its name is PostgreSQL's choice.
     */
    static String dropUniqueIndex(String table, List<Column> key) {
        String names = String.join(", ", key.stream().map(c -> "'" + c.name().replace("'", "''") + "'").toList());
        return "DO $$DECLARE i regclass; BEGIN SELECT x.indexrelid::regclass INTO i FROM pg_index x "
                + "WHERE x.indrelid = '" + table.replace("'", "''") + "'::regclass AND x.indisunique AND NOT "
                + "x.indisprimary AND x.indpred IS NULL AND ARRAY(SELECT a.attname::text FROM "
                + "unnest(x.indkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = x.indrelid AND "
                + "a.attnum = k.n ORDER BY k.o) = ARRAY[" + names + "]; IF i IS NOT NULL THEN EXECUTE "
                + "'DROP INDEX ' || i; END IF; END$$;";
    }

    /**
     * Returns a source table of {@code added} (the deployment adds them) that {@code op} — a new target, a new or
     * changed lookup — reads: it would be derived from that raw table while still empty (its rows come by a snapshot
     * after the switch).
     */
    static Optional<TableId> addedTableRead(Set<TableId> added, StarSchema next, Operation op) {
        List<TableId> read = new ArrayList<>();
        if (op.kind() == Operation.Kind.ADD_DIMENSION || op.kind() == Operation.Kind.ADD_FACT) {
            next.dimension(op.target()).map(d -> d.definition().from()).or(() -> fact(next, op.target())
                    .map(f -> f.definition().from())).ifPresent(read::add);
            lookups(next, op.target()).values().forEach(l -> read.add(l.from()));
        } else if (op.kind() == Operation.Kind.ADD_LOOKUP || op.kind() == Operation.Kind.CHANGE_LOOKUP) {
            Optional.ofNullable(lookups(next, op.target()).get(op.item())).ifPresent(l -> read.add(l.from()));
        }
        return read.stream().filter(added::contains).findFirst();
    }

    /**
     * The rows a soft {@code on_delete} kept marked {@code is_deleted}, deleted at contract as a hard one would have
     * deleted them, after a copy into the retired schema ({@code <table>__deleted}; the raw layer holds a deleted row's
     * key only); the down script puts them back. Of an SCD 2 dimension, every version of the member up to its
     * deleted one goes, as the loader deletes them. A dimension's facts that pointed at a deleted member point at
     * the unknown member after (their foreign key's {@code ON DELETE SET DEFAULT}). Returns the contract statements,
     * then the down ones (in the order added to the contract's down script, which runs in reverse).
     */
    static List<List<String>> deleteMarked(StarSchema next, String target) {
        List<String> contract = new ArrayList<>();
        List<String> contractDown = new ArrayList<>();
        String table = table(next, target);
        String schema = quote(retiredSchema(next));
        String retired = schema + "." + quote(tableName(next, target) + "__deleted");
        Optional<StarSchema.DimensionTable> scd2 = next.dimension(target).filter(StarSchema.DimensionTable::scd2);
        String which = scd2.map(d -> {
            String keys = String.join(", ", d.key().stream().map(c -> quote(c.name())).toList());
            String match = String.join(" AND ", d.key().stream().map(c -> "t." + quote(c.name()) + " = x."
                    + quote(c.name())).toList());
            return " AS t WHERE EXISTS (SELECT 1 FROM (SELECT " + keys + ", max(valid_to) AS gone FROM " + table
                    + " WHERE is_deleted GROUP BY " + keys + ") AS x WHERE " + match + " AND t.valid_to <= x.gone)";
        }).orElse(" WHERE is_deleted");
        contract.add("CREATE SCHEMA IF NOT EXISTS " + schema + ";");
        contract.add(setAsideRetired(retiredSchema(next), tableName(next, target) + "__deleted"));
        contract.add("CREATE TABLE " + retired + " AS SELECT * FROM " + table + which + ";");
        contract.add(stampRetired(retiredSchema(next), tableName(next, target) + "__deleted"));
        contract.add("DELETE FROM " + table + which + ";");
        contractDown.add("DROP TABLE " + retired + ";"); // the down script runs in reverse: after the insert
        contractDown.add("INSERT INTO " + table + " SELECT * FROM " + retired + ";");
        return List.of(contract, contractDown);
    }


    /**
     * Returns the statement that sets aside retired table {@code table} of schema {@code schema} (unquoted names) if
     * an earlier deployment left one — renamed {@code <table>_<timestamp>}, kept — so that this one's copy takes the
     * name its down script reads.
     */
    static String setAsideRetired(String schema, String table) {
        String s = "'" + schema.replace("'", "''") + "'";
        String t = "'" + table.replace("'", "''") + "'";
        return "DO $$BEGIN IF to_regclass(format('%I.%I', " + s + ", " + t + ")) IS NOT NULL THEN EXECUTE "
                + "format('ALTER TABLE %I.%I RENAME TO %I', " + s + ", " + t + ", left(" + t + ", 42) || '_' || "
                + "to_char(clock_timestamp(), 'YYYYMMDDHH24MISSUS')); END IF; END$$;";
    }

    /**
     * Returns the statement that stamps retired table {@code table} of schema {@code schema} (unquoted names) with
     * when it was retired, in its comment ({@code retired at <time>}): the pipeline drops it once
     * {@code warehouse.keep_retired} passed.
     */
    static String stampRetired(String schema, String table) {
        return "DO $$BEGIN EXECUTE format('COMMENT ON TABLE %I.%I IS %L', '" + schema.replace("'", "''") + "', '"
                + table.replace("'", "''") + "', 'retired at ' || now()); END$$;";
    }
}
