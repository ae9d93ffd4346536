package dev.lockstep.warehouse.star;

import dev.lockstep.core.definition.DateDimension;
import dev.lockstep.core.definition.DeletePolicy;
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.definition.SourceDimension;
import dev.lockstep.core.definition.SqlIdentifiers;
import dev.lockstep.core.definition.UniqueRule;
import dev.lockstep.warehouse.raw.MigrationScript;
import dev.lockstep.warehouse.raw.RawLayerDdl;
import dev.lockstep.warehouse.star.StarSchema.Column;
import dev.lockstep.warehouse.star.StarSchema.DimensionTable;
import dev.lockstep.warehouse.star.StarSchema.FactTable;
import dev.lockstep.warehouse.star.StarSchema.Reference;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The star schema's DDL: {@code dim_<name>} tables with a surrogate key and an unknown member {@code -1},
 * {@code dim_date} filled for its range, and {@code fact_<name>} tables keyed by their grain (range-partitioned by
 * month when the definition says so, with a default partition). Every table and column is commented, PII columns
 * flagged, and every index says which query it supports. Produces SQL text; a migration applies it.
 */
public final class StarSchemaDdl {

    /** The surrogate key of every dimension's unknown member. */
    public static final long UNKNOWN_MEMBER = -1;

    private StarSchemaDdl() {}

    /**
     * Returns the warehouse's generated migrations for {@code star}: V1 the raw layer (with indexes on the columns
     * lookups join on), V2 the star schema.
     */
    public static List<MigrationScript> migrations(StarSchema star) {
        return List.of(RawLayerDdl.create(star.schema(), star.sources().values(), 1, star.lookupColumns()),
                create(star, 2));
    }

    /**
     * Returns the migration that creates the dimensions, the date dimension and the facts of {@code star}, in its
     * schema: Flyway created that schema (it keeps its history table there), so the migration does not.
     */
    public static MigrationScript create(StarSchema star, int version) {
        StringBuilder up = new StringBuilder();
        List<String> drops = new ArrayList<>();
        comment(up, "SCHEMA " + quote(star.schema()), "Lockstep star schema: dimensions (dim_*) and facts (fact_*) "
                + "loaded from the change stream, each source transaction atomically; the raw layer is in "
                + star.schema() + "_raw.");
        up.append('\n');
        star.date().ifPresent(date -> {
            createDate(up, star, date);
            drops.add(0, "DROP TABLE " + table(star, date.tableName()) + ";");
        });
        for (DimensionTable dimension : star.dimensions()) {
            createDimension(up, star, dimension);
            drops.add(0, "DROP TABLE " + table(star, dimension.definition().tableName()) + ";");
        }
        for (FactTable fact : star.facts()) {
            createFact(up, star, fact);
            drops.add(0, "DROP TABLE " + table(star, fact.definition().tableName()) + ";");
        }
        drops.add("COMMENT ON SCHEMA " + quote(star.schema()) + " IS NULL;");
        return new MigrationScript(version, "star_schema", up.toString(), String.join("\n", drops) + "\n");
    }

    /**
     * Returns the statements that create one dimension or fact of {@code star} — as {@link #create} does for all of
     * them — for a deployment that adds it; empty when {@code star} has no such target.
     */
    public static Optional<String> createTarget(StarSchema star, String target) {
        StringBuilder up = new StringBuilder();
        star.dimension(target).ifPresent(dimension -> createDimension(up, star, dimension));
        star.facts().stream().filter(f -> f.definition().name().equals(target)).findFirst()
                .ifPresent(fact -> createFact(up, star, fact));
        return up.isEmpty() ? Optional.empty() : Optional.of(up.toString());
    }

    /** Returns {@code "schema"."table"} for a table of {@code star}'s schema. */
    public static String qualified(StarSchema star, String table) {
        return table(star, table);
    }

    /** The name prefix of the indexes {@link #ruleIndexes} creates; no other index of the schema has it. */
    public static final String RULE_INDEX_PREFIX = "lockstep_rule_";

    /**
     * Returns the indexes the definition's quality rules probe, by name: one per {@code unique} rule, over the current
     * rows of its target that the rule compares a batch with (the probe is then one index lookup per conformed row,
     * whatever the warehouse's size). They are not part of the versioned migrations — a rule can be added or dropped
     * without a schema change — so the deployment creates the missing ones and drops those no rule needs any more
     * ({@link #RULE_INDEX_PREFIX}). Each statement creates one index, if it does not exist, with its comment.
     */
    public static Map<String, String> ruleIndexes(StarSchema star) {
        Map<String, String> indexes = new LinkedHashMap<>();
        for (QualityRule rule : star.quality()) {
            if (!(rule instanceof UniqueRule unique)) {
                continue;
            }
            Optional<DimensionTable> dimension = star.dimension(rule.target());
            Optional<FactTable> fact = star.facts().stream()
                    .filter(f -> f.definition().name().equals(rule.target())).findFirst();
            if (dimension.isEmpty() && fact.isEmpty()) {
                continue;
            }
            String table = table(star, dimension.map(d -> d.definition().tableName())
                    .orElseGet(() -> fact.get().definition().tableName()));
            String current = currentPredicate(dimension.map(DimensionTable::scd2).orElse(false));
            String columns = unique.columns().stream().map(StarSchemaDdl::quote).collect(Collectors.joining(", "));
            String definition = "ON " + table + " (" + columns + ") WHERE " + current;
            String name = RULE_INDEX_PREFIX + sha256(definition).substring(0, 16);
            indexes.put(name, "CREATE INDEX IF NOT EXISTS " + quote(name) + " " + definition + ";\n"
                    + "COMMENT ON INDEX " + quote(star.schema()) + "." + quote(name) + " IS 'Supports: quality rule "
                    + rule.name().replace("'", "''") + " (unique) finding a current row of another key with the same "
                    + "values, WHERE " + columns.replace(", ", " = ? AND ").replace("'", "''") + " = ? AND " + current
                    + "; created by the deployment, dropped when no rule needs it.';");
        }
        return indexes;
    }

    /**
     * Returns the condition of a target's current, live rows — the rows a {@code unique} rule compares a batch with
     * ({@link TargetSql#currentRows()}) and its index covers: for an SCD 2 dimension its current versions.
     */
    static String currentPredicate(boolean scd2) {
        return (scd2 ? "is_current AND " : "") + "NOT is_deleted";
    }

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns {@code "schema"."table"}. */
    static String table(StarSchema star, String table) {
        return quote(star.schema()) + "." + quote(table);
    }

    /**
     * Returns the select list of a date dimension row for the date expression {@code day}, in the order of
     * {@link DateDimension#columns()}: {@code yyyymmdd}, then the attributes.
     */
    static String dateRow(String day) {
        return "to_char(" + day + ", 'YYYYMMDD')::integer, " + day + "::date, extract(year FROM " + day
                + ")::integer, extract(quarter FROM " + day + ")::integer, extract(month FROM " + day + ")::integer, "
                + "trim(to_char(" + day + ", 'Month')), extract(day FROM " + day + ")::integer, extract(isodow FROM "
                + day + ")::integer, trim(to_char(" + day + ", 'Day')), extract(week FROM " + day + ")::integer, "
                + "extract(isodow FROM " + day + ") >= 6";
    }

    /**
     * Returns the statement adding to date dimension {@code date}'s table the days of its range it does not have (a
     * deployment that widens the range; days are never removed, and the applier adds days outside it as data needs
     * them).
     */
    public static String addDays(StarSchema star, DateDimension date) {
        return "INSERT INTO " + table(star, date.tableName()) + " SELECT " + dateRow("d::date") + " FROM "
                + "generate_series(date '" + date.from() + "', date '" + date.to() + "', interval '1 day') AS d ON "
                + "CONFLICT DO NOTHING;";
    }

    private static void createDate(StringBuilder up, StarSchema star, DateDimension date) {
        String name = table(star, date.tableName());
        String key = quote(date.surrogateKey());
        up.append("CREATE TABLE ").append(name).append(" (\n");
        date.columns().forEach((column, type) -> up.append("    ").append(quote(column)).append(' ').append(type)
                .append(column.equals(date.surrogateKey()) ? " NOT NULL" : "").append(",\n"));
        up.append("    -- Supports: facts' foreign keys and joins from a fact to its day, WHERE ").append(key)
                .append(" = ?; also the applier's min/max(").append(key).append(") range check.\n");
        up.append("    PRIMARY KEY (").append(key).append(")\n);\n");
        up.append("-- Supports: filtering days by calendar date, WHERE date BETWEEN ? AND ?.\n");
        up.append("CREATE UNIQUE INDEX ON ").append(name).append(" (date);\n");
        up.append("INSERT INTO ").append(name).append(" (").append(key).append(") VALUES (").append(UNKNOWN_MEMBER)
                .append(");\n");
        up.append("INSERT INTO ").append(name).append(" SELECT ").append(dateRow("d::date"))
                .append(" FROM generate_series(date '").append(date.from()).append("', date '").append(date.to())
                .append("', interval '1 day') AS d;\n");
        comment(up, "TABLE " + name, "Date dimension " + date.name() + ": one row per day, " + key.replace("\"", "")
                + " = yyyymmdd; generated for " + date.from() + " to " + date.to() + " and extended by the applier "
                + "when data falls outside; row " + UNKNOWN_MEMBER + " is the unknown date.");
        comment(up, "COLUMN " + name + "." + key, "Surrogate key: the day as yyyymmdd; " + UNKNOWN_MEMBER
                + " for an unknown date.");
        comment(up, "COLUMN " + name + ".date", "The calendar day, in the pipeline's timezone " + star.timezone() + ".");
        comment(up, "COLUMN " + name + ".year", "Year.");
        comment(up, "COLUMN " + name + ".quarter", "Quarter of the year, 1 to 4.");
        comment(up, "COLUMN " + name + ".month", "Month, 1 to 12.");
        comment(up, "COLUMN " + name + ".month_name", "Month name, in English.");
        comment(up, "COLUMN " + name + ".day", "Day of the month.");
        comment(up, "COLUMN " + name + ".day_of_week", "ISO day of the week: 1 = Monday to 7 = Sunday.");
        comment(up, "COLUMN " + name + ".day_name", "Weekday name, in English.");
        comment(up, "COLUMN " + name + ".iso_week", "ISO 8601 week number.");
        comment(up, "COLUMN " + name + ".is_weekend", "True on Saturdays and Sundays.");
        up.append('\n');
    }

    private static void createDimension(StringBuilder up, StarSchema star, DimensionTable dimension) {
        SourceDimension d = dimension.definition();
        String name = table(star, d.tableName());
        String surrogate = quote(d.surrogateKey());
        String keys = dimension.key().stream().map(c -> quote(c.name())).collect(Collectors.joining(", "));
        up.append("CREATE TABLE ").append(name).append(" (\n");
        up.append("    ").append(surrogate).append(" bigint GENERATED BY DEFAULT AS IDENTITY,\n");
        for (Column key : dimension.key()) {
            up.append("    ").append(quote(key.name())).append(' ').append(key.type()).append(",\n");
        }
        for (Column attribute : dimension.attributes()) {
            up.append("    ").append(quote(attribute.name())).append(' ').append(attribute.type()).append(",\n");
        }
        if (dimension.scd2()) {
            up.append("    valid_from timestamptz NOT NULL DEFAULT '-infinity',\n");
            up.append("    valid_to timestamptz NOT NULL DEFAULT 'infinity',\n");
            up.append("    is_current boolean NOT NULL DEFAULT true,\n");
        }
        up.append("    is_inferred boolean NOT NULL DEFAULT false,\n");
        up.append("    is_deleted boolean NOT NULL DEFAULT false,\n");
        up.append("    _position_lsn bigint NOT NULL DEFAULT 0,\n");
        up.append("    _position_seq bigint NOT NULL DEFAULT 0,\n");
        up.append("    _loaded_at timestamptz NOT NULL DEFAULT now(),\n");
        up.append("    -- Supports: facts' foreign keys and star joins, WHERE ").append(surrogate).append(" = ?.\n");
        up.append("    PRIMARY KEY (").append(surrogate).append(")\n);\n");
        if (dimension.scd2()) {
            up.append("-- Supports: one current version per member, and the applier finding it, WHERE ").append(keys)
                    .append(" = ? AND is_current.\n");
            up.append("CREATE UNIQUE INDEX ON ").append(name).append(" (").append(keys).append(") WHERE is_current;\n");
            up.append("-- Supports: resolving a fact to the version valid at its commit time, WHERE ").append(keys)
                    .append(" = ? ORDER BY valid_from.\n");
            up.append("CREATE INDEX ON ").append(name).append(" (").append(keys).append(", valid_from);\n");
        } else {
            up.append("-- Supports: one row per member, the applier's upsert and facts' key resolution, WHERE ")
                    .append(keys).append(" = ?.\n");
            up.append("CREATE UNIQUE INDEX ON ").append(name).append(" (").append(keys).append(");\n");
        }
        up.append("-- Supports: the references rules' search for members still inferred after their grace, WHERE "
                + "is_inferred AND _loaded_at < ?.\n");
        up.append("CREATE INDEX ON ").append(name).append(" (_loaded_at) WHERE is_inferred;\n");
        up.append("INSERT INTO ").append(name).append(" (").append(surrogate).append(") OVERRIDING SYSTEM VALUE VALUES (")
                .append(UNKNOWN_MEMBER).append(");\n");
        comment(up, "TABLE " + name, "Dimension " + d.name() + " from source table " + d.from() + ", SCD type "
                + d.scd().number() + (dimension.scd2() ? " (one row per version)" : " (one row per member)")
                + "; row " + UNKNOWN_MEMBER + " is the unknown member. Deletes: " + (d.onDelete() == DeletePolicy.SOFT
                ? "kept, marked is_deleted." : "removed."));
        comment(up, "COLUMN " + name + "." + surrogate, "Surrogate key" + (dimension.scd2() ? " of the version" : "")
                + "; " + UNKNOWN_MEMBER + " is the unknown member.");
        for (Column key : dimension.key()) {
            comment(up, "COLUMN " + name + "." + quote(key.name()), "Natural key: source column " + d.from() + "."
                    + key.name() + ".");
        }
        for (Column attribute : dimension.attributes()) {
            boolean pii = d.pii().contains(attribute.name());
            comment(up, "COLUMN " + name + "." + quote(attribute.name()), (pii ? "PII. " : "") + "Computed as: "
                    + d.columns().get(attribute.name()).sql() + (dimension.scd2() && dimension.tracked()
                    .contains(attribute) ? " (tracked: a change starts a new version)." : "."));
        }
        if (dimension.scd2()) {
            comment(up, "COLUMN " + name + ".valid_from", "Source commit time from which this version holds; "
                    + "-infinity for the first version read by the snapshot (or an inferred member).");
            comment(up, "COLUMN " + name + ".valid_to", "Source commit time at which the next version (or the "
                    + "delete) started; infinity while current.");
            comment(up, "COLUMN " + name + ".is_current", "True for the member's current version.");
        }
        comment(up, "COLUMN " + name + ".is_inferred", "True while the member is only known from a fact that "
                + "referenced it; completed in place when the member arrives.");
        comment(up, "COLUMN " + name + ".is_deleted", "True once the source row was deleted (on_delete: soft).");
        positionComments(up, name);
        up.append('\n');
    }

    private static void createFact(StringBuilder up, StarSchema star, FactTable fact) {
        String name = table(star, fact.definition().tableName());
        List<String> grain = fact.grain().stream().map(c -> quote(c.name())).toList();
        up.append("CREATE TABLE ").append(name).append(" (\n");
        for (Column column : fact.grain()) {
            up.append("    ").append(quote(column.name())).append(' ').append(column.type()).append(" NOT NULL,\n");
        }
        for (Reference reference : fact.references()) {
            up.append("    ").append(quote(reference.definition().column())).append(' ')
                    .append(reference.toDate() ? "integer" : "bigint").append(" NOT NULL DEFAULT ")
                    .append(UNKNOWN_MEMBER).append(" REFERENCES ").append(table(star, reference.dimension().tableName()))
                    .append(" (").append(quote(reference.dimension().surrogateKey())).append(")")
                    .append(reference.toDate() ? "" : " ON DELETE SET DEFAULT").append(",\n");
        }
        for (Column measure : fact.measures()) {
            up.append("    ").append(quote(measure.name())).append(' ').append(measure.type()).append(",\n");
        }
        up.append("    is_deleted boolean NOT NULL DEFAULT false,\n");
        up.append("    _position_lsn bigint NOT NULL,\n");
        up.append("    _position_seq bigint NOT NULL,\n");
        up.append("    _loaded_at timestamptz NOT NULL DEFAULT now(),\n");
        List<String> unique = new ArrayList<>(grain);
        fact.partition().ifPresent(p -> unique.add(quote(p.definition().column())));
        up.append("    -- Supports: one row per grain").append(fact.partition().isPresent() ? " (with the partition "
                + "column, which a partitioned table's unique key must hold; the grain leads, so the applier's "
                + "upsert by grain alone probes it in each partition)" : "").append(" and the applier's "
                + "upsert, WHERE ").append(String.join(" = ? AND ", grain)).append(" = ?.\n");
        up.append("    PRIMARY KEY (").append(String.join(", ", unique)).append(")\n)");
        fact.partition().ifPresent(p -> up.append(" PARTITION BY RANGE (").append(quote(p.definition().column()))
                .append(')'));
        up.append(";\n");
        if (fact.partition().isPresent()) {
            String defaultPartition = table(star, fact.definition().tableName() + "_default");
            up.append("CREATE TABLE ").append(defaultPartition).append(" PARTITION OF ").append(name)
                    .append(" DEFAULT;\n");
            comment(up, "TABLE " + defaultPartition, "Default partition of " + fact.definition().tableName()
                    + ": rows whose date has no monthly partition (the unknown date " + UNKNOWN_MEMBER + ").");

        }
        for (Reference reference : fact.references()) {
            up.append("-- Supports: star joins and filters from dimension ").append(reference.dimension().name())
                    .append(", WHERE ").append(quote(reference.definition().column())).append(" = ?; and re-pointing "
                    + "facts when a member is removed.\n");
            up.append("CREATE INDEX ON ").append(name).append(" (").append(quote(reference.definition().column()))
                    .append(");\n");
        }
        comment(up, "TABLE " + name, "Fact " + fact.definition().name() + " from source table "
                + fact.definition().from() + ", one row per " + String.join(", ", fact.definition().grain())
                + fact.partition().map(p -> "; range-partitioned by month on " + p.definition().column()
                + " (partitions created ahead by the applier, plus a default partition)").orElse("") + ".");
        for (Column column : fact.grain()) {
            comment(up, "COLUMN " + name + "." + quote(column.name()), "Grain: source column "
                    + fact.definition().from() + "." + column.name() + ".");
        }
        for (Reference reference : fact.references()) {
            comment(up, "COLUMN " + name + "." + quote(reference.definition().column()), "Surrogate key of dimension "
                    + reference.dimension().name() + " (" + reference.definition().name() + "), from: "
                    + reference.definition().key().stream().map(Object::toString).collect(Collectors.joining(", "))
                    + (reference.toDate() ? "; the day in " + star.timezone() : "; the version current at the "
                    + "source commit time of the fact's change") + "; " + UNKNOWN_MEMBER + " when unknown.");
        }
        for (Column measure : fact.measures()) {
            comment(up, "COLUMN " + name + "." + quote(measure.name()), "Measure, computed as: "
                    + fact.definition().measures().get(measure.name()).sql() + ".");
        }
        comment(up, "COLUMN " + name + ".is_deleted", "True once the source row was deleted (on_delete: soft).");
        positionComments(up, name);
        up.append('\n');
    }

    private static void positionComments(StringBuilder up, String name) {
        comment(up, "COLUMN " + name + "._position_lsn", "Commit LSN of the source transaction this row reflects.");
        comment(up, "COLUMN " + name + "._position_seq", "Sequence of that change in its source transaction.");
        comment(up, "COLUMN " + name + "._loaded_at", "When the warehouse transaction that wrote this row ran.");
    }

    private static void comment(StringBuilder up, String object, String text) {
        up.append("COMMENT ON ").append(object).append(" IS '").append(text.replace("'", "''")).append("';\n");
    }

    static String quote(String identifier) {
        return SqlIdentifiers.quote(identifier);
    }
}
