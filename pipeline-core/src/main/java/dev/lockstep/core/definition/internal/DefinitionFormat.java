package dev.lockstep.core.definition.internal;

import static dev.lockstep.core.definition.internal.CompositeTypes.list;
import static dev.lockstep.core.definition.internal.CompositeTypes.map;
import static dev.lockstep.core.definition.internal.ConnectionTypes.jdbcUrl;
import static dev.lockstep.core.definition.internal.ConnectionTypes.webhook;
import static dev.lockstep.core.definition.internal.Field.optional;
import static dev.lockstep.core.definition.internal.Field.required;
import static dev.lockstep.core.definition.internal.NameTypes.columnRef;
import static dev.lockstep.core.definition.internal.NameTypes.name;
import static dev.lockstep.core.definition.internal.NameTypes.reference;
import static dev.lockstep.core.definition.internal.NameTypes.sourceColumn;
import static dev.lockstep.core.definition.internal.NameTypes.table;
import static dev.lockstep.core.definition.internal.ScalarTypes.bool;
import static dev.lockstep.core.definition.internal.ScalarTypes.date;
import static dev.lockstep.core.definition.internal.ScalarTypes.duration;
import static dev.lockstep.core.definition.internal.ScalarTypes.expression;
import static dev.lockstep.core.definition.internal.ScalarTypes.integer;
import static dev.lockstep.core.definition.internal.ScalarTypes.text;
import static dev.lockstep.core.definition.internal.ScalarTypes.zone;

import dev.lockstep.core.definition.Alerts;
import dev.lockstep.core.definition.ColumnRef;
import dev.lockstep.core.definition.DateDimension;
import dev.lockstep.core.definition.DeletePolicy;
import dev.lockstep.core.definition.DimensionReference;
import dev.lockstep.core.definition.Fact;
import dev.lockstep.core.definition.Load;
import dev.lockstep.core.definition.Lookup;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.ScdType;
import dev.lockstep.core.definition.SchemaChangePolicy;
import dev.lockstep.core.definition.Secret;
import dev.lockstep.core.definition.Severity;
import dev.lockstep.core.definition.Sla;
import dev.lockstep.core.definition.SnapshotMode;
import dev.lockstep.core.definition.Source;
import dev.lockstep.core.definition.SourceDimension;
import dev.lockstep.core.definition.SourcePostgres;
import dev.lockstep.core.definition.SqlExpression;
import dev.lockstep.core.definition.Warehouse;
import dev.lockstep.core.definition.WarehousePostgres;
import dev.lockstep.core.stream.TableId;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The definition format, declared once: every key with its type, default, documentation and example. The parser
 * reads definitions with these declarations; the JSON Schema and the reference documentation are generated from
 * them.
 */
public final class DefinitionFormat {

    private DefinitionFormat() {}

    // Names and the names derived from them, which must fit PostgreSQL's 63 bytes.
    static final Names.Rule PIPELINE_NAME = new Names.Rule("pipeline name", true, List.of("lockstep_%s", "%s_raw"));
    static final Names.Rule SCHEMA_NAME = new Names.Rule("schema name", true, List.of("%s_raw"));
    static final Names.Rule SLOT_NAME = new Names.Rule("replication slot name", false, List.of());
    static final Names.Rule PUBLICATION_NAME = new Names.Rule("publication name", false, List.of());
    static final Names.Rule DIMENSION_NAME = new Names.Rule("dimension name", false, List.of("dim_%s", "%s_key"));
    static final Names.Rule FACT_NAME = new Names.Rule("fact name", false, List.of("fact_%s"));
    static final Names.Rule LOOKUP_NAME = new Names.Rule("lookup name", true, List.of());
    static final Names.Rule COLUMN_NAME = new Names.Rule("column name", true, List.of());
    static final Names.Rule ROLE_NAME = new Names.Rule("dimension reference name", false, List.of("%s_key"));

    // ---- connections

    public static final Field<String> FILE = required("file", text("a file path"),
            "Path of a file holding the secret (trailing newline ignored), relative to the definition's directory.")
            .withExample("/run/secrets/shop_db_password");
    public static final ObjectSpec SECRET_FILE = new ObjectSpec("secret_file", "Secret file",
            "A secret read from a file when Lockstep connects.", Secret.class, List.of(FILE));

    public static final Field<String> URL = optional("url", jdbcUrl(),
            "JDBC URL of the database. Give either `url`, or `host` and `database`.")
            .withExample("jdbc:postgresql://db.internal:5432/shop");
    public static final Field<String> HOST = optional("host", text("a host name"),
            "Host name or address, with `database`, instead of `url`.").withExample("db.internal");
    public static final Field<Integer> PORT = optional("port", integer(1, 65535), "Port, with `host`.")
            .withDefault(5432).withExample("5432");
    public static final Field<String> DATABASE = optional("database", text("a database name"),
            "Database name, with `host`.").withExample("shop");
    public static final Field<String> USER = required("user", text("a user name"), "User to connect as.")
            .withExample("lockstep");
    public static final Field<Secret> PASSWORD = optional("password", ConnectionTypes.secret(SECRET_FILE, FILE),
            "Password: `${ENV_VAR}` or `{file: path}`. Never written in the definition itself.")
            .withExample("${SHOP_DB_PASSWORD}");
    public static final Field<String> SLOT = optional("slot", name(SLOT_NAME),
            "Logical replication slot the pipeline streams from.").withDefaultNote("`lockstep_<pipeline>`")
            .withExample("lockstep_shop");
    public static final Field<String> PUBLICATION = optional("publication", name(PUBLICATION_NAME),
            "Publication that lists the source tables.").withDefaultNote("`lockstep_<pipeline>`")
            .withExample("lockstep_shop");

    public static final ObjectSpec SOURCE_POSTGRES = new ObjectSpec("source_postgres", "Source connection",
            "How to reach the source PostgreSQL database, and the replication slot and publication to use.",
            SourcePostgres.class, List.of(URL, HOST, PORT, DATABASE, USER, PASSWORD, SLOT, PUBLICATION));
    public static final ObjectSpec WAREHOUSE_POSTGRES = new ObjectSpec("warehouse_postgres", "Warehouse connection",
            "How to reach the warehouse PostgreSQL database.",
            WarehousePostgres.class, List.of(URL, HOST, PORT, DATABASE, USER, PASSWORD));

    // ---- source and warehouse

    public static final Field<Section> SOURCE_CONNECTION = required("postgres", SOURCE_POSTGRES,
            "The source database.");
    public static final Field<List<Located<TableId>>> TABLES = required("tables", list(table(), false, 1, true),
            "Every source table the pipeline reads, as `schema.table` (schema `public` when omitted). Dimensions, "
                    + "facts and lookups may only use tables listed here.")
            .withExample("[public.customers, public.orders]");
    public static final Field<SnapshotMode> SNAPSHOT = optional("snapshot", ChoiceType.of(SnapshotMode.class),
            "`initial` copies the tables' current rows first, then streams changes; `never` streams changes only.")
            .withDefault(SnapshotMode.INITIAL).withExample("initial");
    public static final Field<Boolean> FANOUT = optional("fanout", bool(),
            "Also write each change to a per-table topic `lockstep.<pipeline>.raw.<schema>.<table>`, keyed by "
                    + "primary key.").withDefault(false).withExample("true");
    public static final ObjectSpec SOURCE = new ObjectSpec("source", "Source",
            "The OLTP database whose changes the pipeline captures.", Source.class,
            List.of(SOURCE_CONNECTION, TABLES, SNAPSHOT, FANOUT));

    public static final Field<Section> WAREHOUSE_CONNECTION = required("postgres", WAREHOUSE_POSTGRES,
            "The warehouse database.");
    public static final Field<String> SCHEMA = optional("schema", name(SCHEMA_NAME),
            "Schema of the star schema; the raw layer lives in `<schema>_raw`.")
            .withDefaultNote("the pipeline name").withExample("shop_dw");
    public static final Field<Path> MIGRATIONS = optional("migrations", ScalarTypes.directory(),
            "Folder of hand-written warehouse migrations (a rollup materialized view, an index, a policy): "
                    + "`V<n>__<description>.sql`, each with its down script `U<n>__<description>.sql` beside it. "
                    + "`lockstep plan` lints them and lists them after the generated expand phase "
                    + "(docs/migrations.md).").withDefaultNote("none").withExample("migrations/");
    public static final Field<Duration> KEEP_RETIRED = optional("keep_retired",
            duration(Duration.ofMinutes(1), Duration.ofDays(36500)),
            "How long what a deployment removed and the raw layer cannot give back (historical SCD 2 values, the "
                    + "older versions of a dimension made SCD 1, rows a soft `on_delete` kept) stays in "
                    + "`<schema>_retired` before the running pipeline or a later deployment drops it "
                    + "(docs/migrations.md).").withDefault(Warehouse.DEFAULT_KEEP_RETIRED).withExample("90d");
    public static final ObjectSpec WAREHOUSE = new ObjectSpec("warehouse", "Warehouse",
            "The PostgreSQL database the star schema is loaded into.", Warehouse.class,
            List.of(WAREHOUSE_CONNECTION, SCHEMA, MIGRATIONS, KEEP_RETIRED));

    // ---- lookups, dimensions, facts

    public static final Field<TableId> LOOKUP_FROM = required("from", table(),
            "Source table to join in; must be listed in `source.tables`.").withExample("public.categories");
    public static final Field<ColumnRef> ON = required("on", columnRef(),
            "Column holding the looked-up row's key: a column of the dimension's or fact's table, or "
                    + "`lookup.column` of an earlier lookup (lookups may chain).").withExample("category_id");
    public static final Field<String> LOOKUP_KEY = optional("key", sourceColumn(),
            "Column of the looked-up table that `on` matches.")
            .withDefaultNote("the primary key of `from` (a single column)").withExample("id");
    public static final ObjectSpec LOOKUP = new ObjectSpec("lookup", "Lookup",
            "A related table flattened into a dimension or fact (a left join): `name: {from: table, on: column}`. "
                    + "Expressions refer to its columns as `name.column`.", Lookup.class,
            List.of(LOOKUP_FROM, ON, LOOKUP_KEY));
    public static final Field<Map<String, Located<Section>>> LOOKUPS = optional("lookup", map(LOOKUP_NAME, LOOKUP),
            "Related tables flattened in, by name.").withExample("{cat: {from: public.categories, on: category_id}}");

    public static final Field<Map<String, Located<SqlExpression>>> COLUMNS = optional("columns",
            map(COLUMN_NAME, expression()),
            "Dimension columns: `name: PostgreSQL expression` over the table's columns and its lookups' "
                    + "(`lookup.column`). The natural key columns are added by themselves.")
            .withExample("{name: name, city: \"coalesce(city, 'Unknown')\"}");
    public static final Field<Map<String, Located<String>>> COLUMNS_RENAMED_FROM = optional("renamed_from",
            map(COLUMN_NAME, name(COLUMN_NAME)), "Columns renamed since the deployed version: `new_name: old_name`. "
                    + "The deployment then renames the warehouse column, keeping its values; without it a renamed column is "
                    + "a drop and an add, and its values are lost. The old name must no longer be a column here; the "
                    + "entry may stay once deployed.")
            .withDefault(Map.of()).withExample("{full_name: name}");
    public static final Field<DeletePolicy> ON_DELETE = optional("on_delete", ChoiceType.of(DeletePolicy.class),
            "What a source DELETE does: `soft` keeps the rows and marks them deleted, `hard` deletes them.")
            .withDefault(DeletePolicy.SOFT).withExample("hard");

    public static final Field<TableId> DIMENSION_FROM = required("from", table(),
            "Source table the dimension is built from; must be listed in `source.tables`.")
            .withExample("public.customers");
    public static final Field<List<Located<String>>> NATURAL_KEY = required("key", list(sourceColumn(), true, 1, true),
            "Natural key: the column, or columns, of `from` that identify a member. The surrogate key "
                    + "`<dimension>_key` is generated.").withExample("id");
    public static final Field<ScdType> SCD = optional("scd", ChoiceType.numbers(Map.of(1, ScdType.TYPE_1,
            2, ScdType.TYPE_2)), "Slowly changing dimension type: 1 overwrites in place; 2 keeps a version per "
                    + "change, with `valid_from`, `valid_to` and `is_current`.")
            .withDefault(ScdType.TYPE_1).withExample("2");
    public static final Field<List<Located<String>>> TRACKED = optional("tracked", list(reference("a column"), true, 1,
            true), "SCD 2 only: the columns whose change starts a new version; changes to other columns update "
                    + "the current version in place.").withDefaultNote("all columns").withExample("[city, segment]");
    public static final Field<List<Located<String>>> PII = optional("pii", list(reference("a column"), true, 0, true),
            "Columns holding personal data: masked in quarantine records and alerts, flagged in the column's "
                    + "COMMENT.").withDefault(List.of()).withExample("[email]");
    public static final ObjectSpec SOURCE_DIMENSION = new ObjectSpec("source_dimension", "Dimension",
            "A dimension built from a source table.", SourceDimension.class,
            List.of(DIMENSION_FROM, NATURAL_KEY, SCD, LOOKUPS, COLUMNS, COLUMNS_RENAMED_FROM, TRACKED, PII, ON_DELETE));

    public static final Field<Boolean> GENERATED = required("generated", bool(),
            "Marks the generated date dimension; must be `true`.").withExample("true");
    public static final Field<LocalDate> DATE_FROM = optional("from", date(), "First day generated.")
            .withDefault(DateDimension.DEFAULT_FROM).withExample("2020-01-01");
    public static final Field<LocalDate> DATE_TO = optional("to", date(),
            "Last day generated; the range is extended automatically when data falls outside it.")
            .withDefault(DateDimension.DEFAULT_TO).withExample("2030-12-31");
    public static final ObjectSpec DATE_DIMENSION = new ObjectSpec("date_dimension", "Date dimension",
            "The generated date dimension (`generated: true`): one row per day, keyed by `<name>_key` = yyyymmdd, "
                    + "with year, quarter, month, day, ISO week and weekday columns.", DateDimension.class,
            List.of(GENERATED, DATE_FROM, DATE_TO));
    public static final CompositeTypes.Union DIMENSION = CompositeTypes.Union.byPresence("a dimension", "generated",
            DATE_DIMENSION, SOURCE_DIMENSION, "A dimension from a source table, or the generated date dimension.");

    public static final Field<String> REFERENCED_DIMENSION = optional("dimension", reference("a dimension"),
            "The dimension referenced.").withDefaultNote("the reference's name").withExample("date");
    public static final Field<List<Located<SqlExpression>>> REFERENCE_KEY = required("key",
            list(expression(), true, 1, false), "Expression(s) giving the dimension's natural key, one per key "
                    + "column; for a date dimension, one date or timestamp expression.").withExample("shipped_at");
    public static final ObjectSpec DIMENSION_REFERENCE = new ObjectSpec("dimension_reference", "Dimension reference",
            "A fact's reference to a dimension: `customer: ord.customer_id` for short, or `ship_date: {dimension: "
                    + "date, key: shipped_at}` to use one dimension in several roles. The fact gets the column "
                    + "`<name>_key`.", DimensionReference.class, List.of(REFERENCED_DIMENSION, REFERENCE_KEY));

    public static final Field<TableId> FACT_FROM = required("from", table(),
            "Source table with one row per fact; must be listed in `source.tables`.").withExample("public.order_items");
    public static final Field<List<Located<String>>> GRAIN = required("grain", list(sourceColumn(), true, 1, true),
            "Column(s) of `from` that identify a fact row.").withExample("[id]");
    public static final Field<Map<String, Located<Section>>> DIMENSION_REFERENCES = optional("dimensions",
            map(ROLE_NAME, new ReferenceType()),
            "Dimension references by name: `name: expression` (the dimension of that name), or "
                    + "`name: {dimension: d, key: expression}`.")
            .withExample("{customer: ord.customer_id, date: ord.created_at}");
    public static final Field<Map<String, Located<SqlExpression>>> MEASURES = optional("measures",
            map(COLUMN_NAME, expression()), "Measures: `name: PostgreSQL expression`.")
            .withExample("{quantity: quantity, amount: \"quantity * unit_price\"}");
    public static final Field<Map<String, Located<String>>> MEASURES_RENAMED_FROM = optional("renamed_from",
            map(COLUMN_NAME, name(COLUMN_NAME)), "Measures renamed since the deployed version: `new_name: old_name`. "
                    + "The deployment then renames the warehouse column, keeping its values; without it a renamed measure is "
                    + "a drop and an add, and its values are lost. The old name must no longer be a column here; the "
                    + "entry may stay once deployed.")
            .withDefault(Map.of()).withExample("{revenue: amount}");
    public static final Field<String> PARTITION_BY = optional("partition_by", reference("a date dimension reference"),
            "A dimension reference to the date dimension; the fact table is range-partitioned by month on it.")
            .withExample("date");
    public static final ObjectSpec FACT = new ObjectSpec("fact", "Fact",
            "A fact table built from a source table.", Fact.class,
            List.of(FACT_FROM, GRAIN, LOOKUPS, DIMENSION_REFERENCES, MEASURES, MEASURES_RENAMED_FROM, PARTITION_BY,
                    ON_DELETE));

    // ---- runtime settings

    public static final Field<Integer> BATCH_SIZE = optional("batch_size", integer(1, 1_000_000),
            "Most changes per batch; a batch always holds whole source transactions.")
            .withDefault(Load.DEFAULT_BATCH_SIZE).withExample("5000");
    public static final Field<Duration> MAX_BATCH_LATENCY = optional("max_batch_latency",
            duration(Duration.ofMillis(1), Duration.ofMinutes(10)),
            "Longest a change waits for its batch to fill; a batch also closes as soon as no more changes are ready.")
            .withDefault(Load.DEFAULT_MAX_BATCH_LATENCY).withExample("50ms");
    public static final ObjectSpec LOAD = new ObjectSpec("load", "Load", "How the applier batches changes.",
            Load.class, List.of(BATCH_SIZE, MAX_BATCH_LATENCY));

    public static final Field<Duration> LATENCY = optional("latency", duration(Duration.ofMillis(1), Duration.ofDays(1)),
            "Largest accepted delay from a source commit to its warehouse commit; exceeding it raises an alert.")
            .withExample("5s");
    public static final ObjectSpec SLA = new ObjectSpec("sla", "SLA", "The service level the pipeline is held to.",
            Sla.class, List.of(LATENCY));

    public static final Field<List<Located<Secret>>> WEBHOOKS = optional("webhooks", list(webhook(), true, 0, true),
            "URLs that receive each alert as a CloudEvent (JSON POST); may be `${ENV_VAR}` when they hold a token.")
            .withDefault(List.of()).withExample("[\"${SLACK_WEBHOOK_URL}\"]");
    public static final Field<Severity> MIN_SEVERITY = optional("min_severity", ChoiceType.of(Severity.class),
            "Least severity sent to webhooks; every alert still goes to the `lockstep.alerts` topic.")
            .withDefault(Severity.WARNING).withExample("critical");
    public static final ObjectSpec ALERTS = new ObjectSpec("alerts", "Alerts",
            "Where alerts go besides the `lockstep.alerts` topic.", Alerts.class, List.of(WEBHOOKS, MIN_SEVERITY));

    // ---- the root

    public static final Field<String> PIPELINE = required("pipeline", name(PIPELINE_NAME),
            "Name of the pipeline: names its topics (`lockstep.<pipeline>.changes`), replication slot and schema.")
            .withExample("shop");
    public static final Field<ZoneId> TIMEZONE = optional("timezone", zone(),
            "Time zone of date keys and date expressions.").withDefault(ZoneId.of("UTC")).withExample("Europe/Paris");
    public static final Field<Section> SOURCE_FIELD = required("source", SOURCE, "The source database and tables.");
    public static final Field<Section> WAREHOUSE_FIELD = required("warehouse", WAREHOUSE,
            "The warehouse database and schema.");
    public static final Field<Map<String, Located<Section>>> DIMENSIONS = optional("dimensions",
            map(DIMENSION_NAME, DIMENSION), "Dimensions by name; each becomes the table `dim_<name>`.")
            .withDefault(Map.of());
    public static final Field<Map<String, Located<Section>>> FACTS = optional("facts", map(FACT_NAME, FACT),
            "Facts by name; each becomes the table `fact_<name>`.").withDefault(Map.of());
    public static final Field<List<Located<Section>>> QUALITY = optional("quality", list(RuleFormat.RULES, false, 0, false),
            "Quality rules, checked on every batch (per-row kinds) or over time (aggregate kinds).")
            .withDefault(List.of());
    public static final Field<SchemaChangePolicy> SCHEMA_CHANGES = optional("schema_changes",
            ChoiceType.of(SchemaChangePolicy.class), "What a source schema change does: `ignore` drops unknown "
                    + "columns, `evolve` adds pass-through columns by a generated migration, `fail` stops the "
                    + "pipeline with an alert.").withDefault(SchemaChangePolicy.EVOLVE).withExample("evolve");
    public static final Field<Section> LOAD_FIELD = optional("load", LOAD, "Batching of the apply stage.")
            .withDefaultNote("the defaults of each key");
    public static final Field<Section> SLA_FIELD = optional("sla", SLA, "Service level the pipeline is held to.")
            .withDefaultNote("no SLA");
    public static final Field<Section> ALERTS_FIELD = optional("alerts", ALERTS, "Alert destinations.")
            .withDefaultNote("the `lockstep.alerts` topic only");

    public static final ObjectSpec ROOT = new ObjectSpec("pipeline", "Pipeline",
            "A Lockstep pipeline definition: one source database, its star schema in the warehouse, quality rules "
                    + "and runtime settings.", PipelineDefinition.class,
            List.of(PIPELINE, TIMEZONE, SOURCE_FIELD, WAREHOUSE_FIELD, DIMENSIONS, FACTS, QUALITY, SCHEMA_CHANGES,
                    LOAD_FIELD, SLA_FIELD, ALERTS_FIELD)).withExtensions();

    /** Reads a fact's dimension reference: the short form (expression or list) or the mapping. */
    static final class ReferenceType extends Type<Section> {
        @Override
        public Section read(YamlNode node, String path, Binder binder) {
            if (node instanceof YamlNode.Mapping) {
                return DIMENSION_REFERENCE.read(node, path, binder);
            }
            List<Located<SqlExpression>> key = REFERENCE_KEY.type().read(node, path, binder);
            if (key == null) {
                return null;
            }
            Section section = new Section(DIMENSION_REFERENCE, path, node);
            Located<List<Located<SqlExpression>>> located = new Located<>(key, path, node.location(), node);
            section.put(REFERENCE_KEY, located);
            return section;
        }

        @Override
        public com.fasterxml.jackson.databind.node.ObjectNode schema(SchemaWriter w) {
            var any = w.object();
            any.putArray("anyOf").add(REFERENCE_KEY.type().schema(w)).add(w.ref(DIMENSION_REFERENCE));
            return any;
        }

        @Override
        public String describe() {
            return "expression, list of expressions, or " + DIMENSION_REFERENCE.title();
        }

        @Override
        public String describeMarkdown() {
            return "expression, list of expressions, or " + DIMENSION_REFERENCE.describeMarkdown();
        }

        @Override
        public List<ObjectSpec> nested() {
            return List.of(DIMENSION_REFERENCE);
        }
    }
}
