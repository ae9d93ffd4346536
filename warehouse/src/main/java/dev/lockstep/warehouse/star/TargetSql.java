package dev.lockstep.warehouse.star;

import static dev.lockstep.warehouse.star.StarSchemaDdl.quote;

import dev.lockstep.control.QuarantineStore;
import dev.lockstep.core.definition.Lookup;
import dev.lockstep.core.definition.UniqueRule;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.warehouse.PlannerSwitches;
import dev.lockstep.warehouse.raw.RawLayerDdl;
import dev.lockstep.warehouse.raw.RawMerge;
import dev.lockstep.warehouse.star.StarSchema.Column;
import dev.lockstep.warehouse.star.StarSchema.Join;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The SQL shared by every target (dimension or fact) of one batch: which of its keys the batch touched — changed
 * rows of its source table, and rows whose looked-up rows changed — and the join of its source table with its
 * lookups over the raw layer, as the definition's expressions expect it ({@code <table>.<column>} for the table,
 * {@code <lookup>.<column>} for a lookup). Each target has its own temporary tables, named by {@code prefix}.
 */
abstract class TargetSql {

    final StarSchema star;
    final TableId from;
    final List<Column> key;
    final List<Join> joins;
    final Map<TableId, String> stages;
    final String events;
    final String touched;
    final String conformed;

    TargetSql(StarSchema star, TableId from, List<Column> key, List<Join> joins, Map<TableId, String> stages,
            String prefix) {
        this.star = star;
        this.from = from;
        this.key = key;
        this.joins = joins;
        this.stages = stages;
        this.events = prefix + "_events";
        this.touched = prefix + "_touched";
        this.conformed = prefix + "_conformed";
    }

    /** Returns the target's name as the definition has it. */
    abstract String target();

    /** Returns the target's columns that hold personal data: masked wherever a row is shown. */
    abstract List<String> pii();

    /** Returns a relation of the target's current, live rows in the warehouse (unknown member apart). */
    abstract String currentRows();

    /**
     * Returns this target's temporary work tables, name to column definitions; the applier empties them before each
     * commit.
     */
    Map<String, String> temporaryTables() {
        Map<String, String> tables = new LinkedHashMap<>();
        tables.put(events, columns(key) + ", _lsn bigint, _seq bigint, _commit_ts timestamptz, _base boolean");
        tables.put(touched, columns(key) + ", _commit_ts timestamptz, _rn integer");
        tables.put(conformed, conformedColumns());
        return tables;
    }

    /**
     * Returns the statements indexing the conformed rows for the {@code unique} rules on this target (none without
     * one): the rule compares each conformed row with the batch's other rows of the same values and of the same key,
     * which without an index is a scan of the batch per row.
     */
    List<String> indexConformed(List<UniqueRule> unique) {
        if (unique.isEmpty()) {
            return List.of();
        }
        List<String> ddl = new ArrayList<>();
        ddl.add("CREATE INDEX IF NOT EXISTS " + conformed + "_key ON " + conformed + " (" + list(key, c -> quote(c.name()))
                + ")");
        int n = 0;
        for (UniqueRule rule : unique) {
            ddl.add("CREATE INDEX IF NOT EXISTS " + conformed + "_u" + (++n) + " ON " + conformed + " ("
                    + rule.columns().stream().map(StarSchemaDdl::quote).collect(Collectors.joining(", ")) + ")");
        }
        return ddl;
    }

    /** The columns of the conformed rows' temporary table. */
    abstract String conformedColumns();

    /**
     * A statement that reads the staged changes of {@code table}: it has nothing to do when the batch has none.
     * {@code probes}: it joins the staged rows to warehouse tables, to be run probing their indexes per staged row.
     */
    record Staged(TableId table, String sql, boolean probes) {}

    /**
     * Returns the statements that record the batch's events for this target: each staged change of its table, and
     * for each lookup each staged change of the looked-up table that changed a looked-up column (see
     * {@link StarSchema#lookedUpColumns()}), as the key of every row joined to it.
     */
    List<Staged> recordEvents() {
        List<Staged> statements = new ArrayList<>();
        String keys = list(key, c -> "s." + quote(c.name()));
        statements.add(new Staged(from, "INSERT INTO " + events + " SELECT " + keys + ", s._position_lsn, "
                + "s._position_seq, s._commit_ts, true FROM " + stage(from) + " s", false));
        for (Join join : joins) {
            Lookup lookup = join.lookup();
            // _ls_s: an alias no table or lookup of the definition can have.
            statements.add(new Staged(lookup.from(), "INSERT INTO " + events + " SELECT " + list(key, c -> baseAlias()
                    + "." + quote(c.name())) + ", _ls_s._position_lsn, _ls_s._position_seq, _ls_s._commit_ts, false "
                    + "FROM " + sourceJoin() + " JOIN " + stage(lookup.from()) + " _ls_s ON _ls_s."
                    + quote(join.key()) + " = " + quote(lookup.name()) + "." + quote(join.key()) + " WHERE _ls_s."
                    + RawMerge.LOOKUP_CHANGED + " IS NOT FALSE", true));
        }
        return statements;
    }

    /** Returns the statements recording the target's events of the batch: its staged tables' and truncations. */
    List<String> recordBatchEvents(Set<TableId> staged, Map<TableId, StarLoader.Truncation> truncations) {
        List<String> statements = new ArrayList<>();
        boolean probing = false;
        for (Staged statement : recordEvents()) {
            if (staged.contains(statement.table())) {
                if (statement.probes() && !probing) {
                    // The rows joined to a changed looked-up row: probe its key, then the lookup column's index
                    // (measured: hashing both raw tables, 9.6 ms per batch of ~100 changes and growing with them).
                    statements.add(PlannerSwitches.JOINS_BY_PROBE);
                    probing = true;
                }
                statements.add(statement.sql());
            }
        }
        if (probing) {
            statements.add(PlannerSwitches.JOINS_ANY);
        }
        StarLoader.Truncation truncation = truncations.get(from);
        if (truncation != null) {
            statements.add(recordTruncation(truncation.position().commitLsn(), truncation.position().sequence(),
                    "timestamptz 'epoch' + " + truncation.commitMicros() + " * interval '1 microsecond'"));
        }
        return statements;
    }

    /**
     * Returns the statement recording, as events, the rows a TRUNCATE of the target's table at a position marked —
     * not as the table's own images: an SCD 2 dimension then takes the raw layer's row (deleted) at that position.
     */
    String recordTruncation(long commitLsn, long sequence, String commitTs) {
        return "INSERT INTO " + events + " SELECT " + list(key, c -> quote(c.name())) + ", _position_lsn, "
                + "_position_seq, " + commitTs + ", false FROM " + raw(from) + " WHERE _deleted AND (_position_lsn, "
                + "_position_seq) = (" + commitLsn + ", " + sequence + ")";
    }

    /** Returns the query of the source table's last key in the raw layer, as text (no row: the table is empty). */
    String lastRawKey() {
        return "SELECT " + list(key, c -> "r." + quote(c.name()) + "::text") + " FROM " + raw(from) + " AS r ORDER BY "
                + list(key, c -> "r." + quote(c.name()) + " DESC NULLS LAST") + " LIMIT 1";
    }

    /**
     * Returns the statement that records as events the source rows of the raw layer with keys up to {@code ?…} (and,
     * with {@code after}, after {@code ?…}), at most {@code ?} of them in key order, each at its raw position and with
     * the time the raw layer loaded it, as events whose image is the raw layer's (an SCD 2 dimension conforms the
     * raw row, not a staged image); it returns their count and the last key (no row: none). Deleted rows too: a
     * backfill started again after batches that did not load the target must delete what they deleted.
     */
    String backfill(boolean after) {
        String keys = list(key, c -> "r." + quote(c.name()));
        String bound = list(key, c -> "?::" + c.type());
        String names = list(key, c -> quote(c.name()));
        return "WITH chunk AS MATERIALIZED (SELECT " + keys + ", r._position_lsn, r._position_seq, r._loaded_at FROM "
                + raw(from) + " AS r WHERE (" + keys + ") <= (" + bound + ")"
                + (after ? " AND (" + keys + ") > (" + bound + ")" : "") + " ORDER BY " + keys + " LIMIT ?), "
                + "recorded AS (INSERT INTO " + events + " SELECT " + names + ", _position_lsn, _position_seq, "
                + "_loaded_at, false FROM chunk) SELECT count(*) OVER (), " + list(key, c -> quote(c.name()) + "::text")
                + " FROM chunk ORDER BY " + list(key, c -> quote(c.name()) + " DESC") + " LIMIT 1";
    }

    /** Returns the statement that numbers the touched keys (1..n) with the latest commit time of their events. */
    String numberTouched() {
        String keys = list(key, c -> quote(c.name()));
        return "INSERT INTO " + touched + " SELECT " + keys + ", max(_commit_ts), row_number() OVER () FROM " + events
                + " GROUP BY " + keys;
    }

    /**
     * Returns the statement inserting the conformed rows of the touched keys numbered {@code ? .. ?}: a range, so
     * that a row failing at run time can be isolated by bisection.
     */
    abstract String conform();

    /** Returns the statement that writes a runtime-error quarantine row for touched key number {@code ?}. */
    String quarantine() {
        return QuarantineStore.insertSql(new QuarantineStore.RowSql("runtime_error", null, literal(target()),
                literal(from.toString()), keyObject(key, "t"), "coalesce(r._position_lsn, 0)",
                "coalesce(r._position_seq, 0)", "?", "?", null), touched + " t LEFT JOIN " + raw(from) + " r ON "
                + equal("r", "t", key) + " WHERE t._rn = ?");
    }

    /**
     * Returns the statement that marks superseded the open quarantine rows of the keys the batch touched that are
     * older than the key's latest event: a newer change of the key is being checked, so they no longer stand for
     * it. Parameters: pipeline, pipeline.
     */
    String supersede() {
        return supersedeOlderThan(events);
    }

    /**
     * Returns the statement, run after the rules, that marks superseded the open quarantine rows of keys that have a
     * newer conformed row left (one that passed and loads): a batch holding several changes of a key conforms each
     * change of an SCD 2 dimension, and an earlier change diverted no longer stands for the key once a later one
     * loads. Parameters: pipeline, pipeline.
     */
    String supersedeByLoaded() {
        return supersedeOlderThan(conformed);
    }

    /** Marks superseded the open ledger rows older than their key's newest row (by position) in {@code relation}. */
    private String supersedeOlderThan(String relation) {
        String keys = list(key, c -> quote(c.name()));
        return QuarantineStore.supersedeOlderThanSql(target(), "(SELECT DISTINCT ON (" + keys + ") " + keys
                + ", _lsn, _seq FROM " + relation + " ORDER BY " + keys + ", _lsn DESC, _seq DESC)",
                keyObject(key, "e"));
    }

    /**
     * Returns the statement that marks superseded those of the open quarantine rows {@code ?} (ids) whose key the raw
     * layer holds at a newer position: replay never loads over a newer change. Parameter: ids.
     */
    String supersedeReplayed() {
        return QuarantineStore.supersedeReplayedSql(target(), raw(from), keyFromLedger("q", "r"));
    }

    /**
     * Returns the statement that records, as events of this target, the keys of the open quarantine rows {@code ?}
     * (ids) at the raw layer's position of each, and marks those rows replayed: the batch then conforms, checks and
     * loads them from the raw layer as if their source rows had changed. Parameter: ids.
     */
    String replay() {
        return QuarantineStore.replaySql(target(), events, list(key, c -> "r." + quote(c.name()))
                + ", r._position_lsn, r._position_seq, q.created_at, false", raw(from), keyFromLedger("q", "r"));
    }

    /** Returns {@code raw.k1 = (ledger.natural_key ->> 'k1')::type AND ...}. */
    private String keyFromLedger(String ledger, String raw) {
        return key.stream().map(c -> raw + "." + quote(c.name()) + " = " + QuarantineStore.keyFieldSql(ledger, c.name())
                + "::" + c.type()).collect(Collectors.joining(" AND "));
    }

    /** Returns {@code jsonb_build_object('k1', alias."k1", ...)}: a row's key as the quarantine ledger holds it. */
    static String keyObject(List<Column> key, String alias) {
        return QuarantineStore.naturalKeySql(key.stream().map(Column::name).toList(), alias);
    }

    /**
     * Returns the touched keys numbered {@code ? .. ?} as relation {@code _ls_t}, its columns renamed ({@code _tk_0..},
     * {@code _tk_commit_ts}, {@code _tk_rn}) so that they never clash with the columns expressions refer to.
     */
    String touchedRange() {
        StringBuilder sql = new StringBuilder("(SELECT ");
        for (int i = 0; i < key.size(); i++) {
            sql.append(quote(key.get(i).name())).append(" AS _tk_").append(i).append(", ");
        }
        return sql.append("_commit_ts AS _tk_commit_ts, _rn AS _tk_rn FROM ").append(touched)
                .append(" WHERE _rn BETWEEN ? AND ?) _ls_t").toString();
    }

    /** Returns {@code alias.k0 = _ls_t._tk_0 AND ...}: the join of a relation to {@link #touchedRange()}. */
    String touchedMatch(String alias) {
        List<String> match = new ArrayList<>();
        for (int i = 0; i < key.size(); i++) {
            match.add(alias + "." + quote(key.get(i).name()) + " = _ls_t._tk_" + i);
        }
        return String.join(" AND ", match);
    }

    /** Returns {@code raw_table AS "table" LEFT JOIN raw_lookup AS "lookup" ON ...} for all lookups. */
    String sourceJoin() {
        return raw(from) + " AS " + baseAlias() + lookupJoins(this::raw);
    }

    /**
     * Returns the lookups of the relation aliased as the source table, as the definition's expressions see them: for
     * each, {@code LEFT JOIN LATERAL} its live raw row, probed by key per row ({@link #probe}).
     */
    String lookupProbes() {
        StringBuilder sql = new StringBuilder();
        for (Join join : joins) {
            Lookup lookup = join.lookup();
            String alias = quote(lookup.name());
            sql.append(" LEFT JOIN ").append(probe(raw(lookup.from()), alias, alias + "." + quote(join.key()) + " = "
                    + quote(lookup.on().lookup().orElse(from.table())) + "." + quote(lookup.on().column()) + " AND NOT "
                    + alias + "._deleted")).append(" ON true");
        }
        return sql.toString();
    }

    /**
     * Returns the source table joined with its lookups as the source database has them — the relation the
     * definition's expressions were written against — for reconciliation.
     */
    String sourceTablesJoin() {
        return sourceTable(from) + " AS " + baseAlias() + lookupJoins(TargetSql::sourceTable);
    }

    static String sourceTable(TableId table) {
        return quote(table.schema()) + "." + quote(table.table());
    }

    private String lookupJoins(Function<TableId, String> relation) {
        StringBuilder sql = new StringBuilder();
        for (Join join : joins) {
            Lookup lookup = join.lookup();
            String alias = quote(lookup.name());
            sql.append(" LEFT JOIN ").append(relation.apply(lookup.from())).append(" AS ").append(alias).append(" ON ")
                    .append(alias).append('.').append(quote(join.key())).append(" = ")
                    .append(quote(lookup.on().lookup().orElse(from.table()))).append('.')
                    .append(quote(lookup.on().column()));
        }
        return sql.toString();
    }

    /** Returns the alias under which expressions see the target's own table: its name. */
    String baseAlias() {
        return quote(from.table());
    }

    /** Returns {@code CASE WHEN <alias>._deleted THEN NULL ELSE (expression) END}: a deleted row is not evaluated. */
    static String unlessDeleted(String alias, String expression) {
        return "CASE WHEN " + alias + "._deleted THEN NULL ELSE (" + expression + ") END";
    }

    String raw(TableId table) {
        return RawLayerDdl.qualified(star.schema(), table);
    }

    String stage(TableId table) {
        String stage = stages.get(table);
        if (stage == null) {
            throw new IllegalArgumentException("no staging table for " + table);
        }
        return stage;
    }

    SourceTable source() {
        return star.sources().get(from);
    }

    /**
     * Returns {@code LATERAL (SELECT * FROM relation AS alias WHERE condition OFFSET 0) AS alias}: the rows of a
     * warehouse table matching each outer row, found by probing its index once per outer row whatever the statistics
     * say — {@code OFFSET 0} keeps the planner from pulling the subquery up into a join it could hash (a hash of the
     * whole table every batch: a cost that grows with the warehouse, not the batch).
     */
    static String probe(String relation, String alias, String condition) {
        return "LATERAL (SELECT * FROM " + relation + " AS " + alias + " WHERE " + condition + " OFFSET 0) AS " + alias;
    }

    /**
     * Returns the DDL of a work table. Its rows outlive the commit: the applier deletes them before each commit, and
     * truncates now and then. {@code ON COMMIT DELETE ROWS} truncated every such table of the session at every
     * commit that touched any temporary table — ~0.3 ms each, ~8 ms a batch for the shop's ~25 — and rebuilt their
     * indexes, which invalidated every cached plan reading them.
     */
    static String temporary(String name, String columns) {
        return "CREATE TEMP TABLE IF NOT EXISTS " + name + " (" + columns + ") ON COMMIT PRESERVE ROWS";
    }

    static String columns(List<Column> columns) {
        return list(columns, c -> quote(c.name()) + " " + c.type());
    }

    static String list(List<Column> columns, Function<Column, String> each) {
        return columns.stream().map(each).collect(Collectors.joining(", "));
    }

    /** Returns {@code a.k1 = b.k1 AND ...} for the columns. */
    static String equal(String a, String b, List<Column> columns) {
        return columns.stream().map(c -> a + "." + quote(c.name()) + " = " + b + "." + quote(c.name()))
                .collect(Collectors.joining(" AND "));
    }

    /** Types PostgreSQL cannot compare with {@code =} (no default equality): compared as text instead. */
    private static final Set<String> NO_EQUALITY = Set.of("json", "xml", "point", "line", "lseg",
            "box", "path", "polygon", "circle");

    /** Returns {@code expression} as something {@code IS DISTINCT FROM} can compare, given its PostgreSQL type. */
    static String comparable(String expression, String type) {
        String base = type.endsWith("[]") ? type.substring(0, type.length() - 2) : type;
        return NO_EQUALITY.contains(base.strip()) ? "(" + expression + ")::text" : expression;
    }

    static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }
}
