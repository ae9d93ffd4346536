package dev.lockstep.warehouse.star;

import static dev.lockstep.warehouse.star.StarSchemaDdl.quote;

import dev.lockstep.core.definition.DeletePolicy;
import dev.lockstep.core.definition.SourceDimension;
import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.warehouse.star.StarSchema.Column;
import dev.lockstep.warehouse.star.StarSchema.DimensionTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The SQL that loads one dimension from a batch. SCD 1: the touched members' current state, conformed from the raw
 * layer, merged by natural key. SCD 2: one candidate per member and source transaction (its last image of the
 * transaction, with lookups), then versions — a candidate whose tracked attributes differ from the previous one
 * starts a version at its commit time; other changes correct the version they fall in — closing the current
 * version and inserting the new ones.
 */
final class DimensionSql extends TargetSql {

    private final DimensionTable dimension;
    private final String versions;

    DimensionSql(StarSchema star, DimensionTable dimension, Map<TableId, String> stages, String prefix) {
        super(star, dimension.definition().from(), dimension.key(), dimension.joins(), stages, prefix);
        this.dimension = dimension;
        this.versions = prefix + "_versions";
    }

    @Override
    String target() {
        return dimension.definition().name();
    }

    @Override
    List<String> pii() {
        return dimension.definition().pii();
    }

    @Override
    String currentRows() {
        return "(SELECT * FROM " + StarSchemaDdl.table(star, dimension.definition().tableName()) + " WHERE "
                + StarSchemaDdl.currentPredicate(dimension.scd2()) + " AND "
                + quote(dimension.definition().surrogateKey()) + " <> " + StarSchemaDdl.UNKNOWN_MEMBER + ")";
    }

    DimensionTable dimension() {
        return dimension;
    }

    @Override
    Map<String, String> temporaryTables() {
        Map<String, String> tables = super.temporaryTables();
        if (dimension.scd2()) {
            tables.put(versions, columns(key) + ", _grp bigint, " + columns(dimension.attributes())
                    + ", valid_from timestamptz, valid_to timestamptz, is_deleted boolean, _existing boolean, "
                    + "_has_image boolean, _lsn bigint, _seq bigint, _sk bigint");
        }
        return tables;
    }

    @Override
    String conformedColumns() {
        return columns(key) + ", " + columns(dimension.attributes()) + ", _deleted boolean, _lsn bigint, _seq bigint"
                + (dimension.scd2() ? ", _commit_ts timestamptz, _snapshot boolean" : "") + ", _rn integer";
    }

    @Override
    String conform() {
        return dimension.scd2() ? conformCandidates() : conformCurrent();
    }

    /** SCD 1: each touched member as the raw layer holds it now. */
    private String conformCurrent() {
        String base = baseAlias();
        return "INSERT INTO " + conformed + " SELECT " + list(key, c -> base + "." + quote(c.name())) + ", "
                + attributes(base) + ", " + base + "._deleted, " + base + "._position_lsn, " + base + "._position_seq, "
                + "_ls_t._tk_rn FROM " + touchedRange() + " CROSS JOIN " + probe(raw(from), base, touchedMatch(base))
                + lookupProbes();
    }

    /**
     * SCD 2: per member and source transaction, the transaction's last staged image (an unchanged TOASTed column
     * from the raw layer); and for a member whose looked-up row changed after its own last change in the batch,
     * its current image at that change.
     */
    private String conformCandidates() {
        String base = baseAlias();
        List<String> stagedColumns = new ArrayList<>();
        List<String> rawColumns = new ArrayList<>();
        for (SourceColumn column : source().columns()) {
            String c = quote(column.name());
            rawColumns.add("r." + c);
            boolean isKey = key.stream().anyMatch(k -> k.name().equals(column.name()));
            // An unchanged TOASTed column: the raw row's, probed by key only for such a column (measured: joining
            // the raw table instead hashed all of it every batch, 4.3 ms for ~90 customers and growing with them).
            stagedColumns.add(isKey ? "s." + c : "CASE WHEN " + literal(column.name()) + " = ANY(s._unchanged) THEN "
                    + "(SELECT r." + c + " FROM " + raw(from) + " r WHERE " + equal("r", "s", key) + ") ELSE s." + c
                    + " END AS " + c);
        }
        String keys = list(key, c -> quote(c.name()));
        String images = "(SELECT DISTINCT ON (" + list(key, c -> "s." + quote(c.name())) + ", s._position_lsn) "
                + String.join(", ", stagedColumns) + ", s._deleted, s._position_lsn AS _lsn, s._position_seq AS _seq, "
                + "s._commit_ts, s._snapshot FROM " + stage(from) + " s ORDER BY " + list(key, c -> "s."
                + quote(c.name())) + ", s._position_lsn, s._position_seq DESC)";
        String lookupImages = "SELECT " + String.join(", ", rawColumns) + ", r._deleted, e._lsn, e._seq, e._commit_ts, "
                + "false FROM (SELECT DISTINCT ON (" + keys + ") * FROM " + events + " WHERE NOT _base ORDER BY " + keys
                + ", _lsn DESC, _seq DESC) e CROSS JOIN " + probe(raw(from), "r", equal("r", "e", key))
                + " WHERE NOT EXISTS (SELECT 1 FROM " + events + " b WHERE b._base AND " + equal("b", "e", key)
                + " AND (b._lsn, b._seq) > (e._lsn, e._seq))";
        return "INSERT INTO " + conformed + " SELECT " + list(key, c -> base + "." + quote(c.name())) + ", "
                + attributes(base) + ", " + base + "._deleted, " + base + "._lsn, " + base + "._seq, " + base
                + "._commit_ts, " + base + "._snapshot, _ls_t._tk_rn FROM " + touchedRange() + " JOIN (" + images
                + " UNION ALL " + lookupImages + ") AS " + base + " ON " + touchedMatch(base) + lookupProbes();
    }

    private String attributes(String base) {
        SourceDimension d = dimension.definition();
        return list(dimension.attributes(), a -> unlessDeleted(base, d.columns().get(a.name()).sql()));
    }

    /** Returns the statements that load the conformed rows into the dimension. */
    List<String> load() {
        return dimension.scd2() ? loadVersions() : mergeCurrent();
    }

    /**
     * Returns the index of the first statement of {@link #load()} that joins only the batch's rows to the dimension,
     * so it may probe the dimension's key per row: computing SCD 2 versions (the first statement) joins the batch's
     * work tables to each other, which have no index.
     */
    int probesFrom() {
        return dimension.scd2() ? 1 : 0;
    }

    /**
     * Returns the statements that point the facts of the members {@code gone} selects (a relation of surrogate keys,
     * column {@code _sk}) at the unknown member, one per fact reference to this dimension: run just before a hard
     * delete removes them. The facts' {@code ON DELETE SET DEFAULT} does the same, but its trigger does not fire on
     * a session that skips foreign-key triggers ({@link StarLoader#checksForeignKeys()}).
     */
    private List<String> repointFacts(String gone) {
        List<String> statements = new ArrayList<>();
        for (StarSchema.FactTable fact : star.facts()) {
            for (StarSchema.Reference reference : fact.references()) {
                if (!reference.toDate() && reference.dimension().name().equals(dimension.definition().name())) {
                    String column = quote(reference.definition().column());
                    statements.add("UPDATE " + StarSchemaDdl.table(star, fact.definition().tableName()) + " f SET "
                            + column + " = " + StarSchemaDdl.UNKNOWN_MEMBER + " FROM " + gone + " g WHERE f." + column
                            + " = g._sk");
                }
            }
        }
        return statements;
    }

    private List<String> mergeCurrent() {
        List<String> statements = new ArrayList<>();
        if (dimension.definition().onDelete() == DeletePolicy.HARD) {
            statements.addAll(repointFacts("(SELECT d." + quote(dimension.definition().surrogateKey()) + " AS _sk FROM "
                    + StarSchemaDdl.table(star, dimension.definition().tableName()) + " d JOIN " + conformed
                    + " c ON " + equal("d", "c", key) + " WHERE c._deleted)"));
        }
        statements.add(merge());
        return statements;
    }

    private String merge() {
        String table = StarSchemaDdl.table(star, dimension.definition().tableName());
        boolean hard = dimension.definition().onDelete() == DeletePolicy.HARD;
        List<Column> attributes = dimension.attributes();
        return "MERGE INTO " + table + " AS d USING " + conformed + " AS c ON " + equal("d", "c", key)
                + (hard ? " WHEN MATCHED AND c._deleted THEN DELETE" : " WHEN MATCHED AND c._deleted AND NOT "
                + "d.is_deleted THEN UPDATE SET is_deleted = true, _position_lsn = c._lsn, _position_seq = c._seq, "
                + "_loaded_at = now() WHEN MATCHED AND c._deleted THEN DO NOTHING")
                + " WHEN MATCHED AND (d.is_inferred OR d.is_deleted OR ROW(" + list(attributes, a -> comparable("d."
                + quote(a.name()), a.type())) + ") IS DISTINCT FROM ROW(" + list(attributes, a -> comparable("c."
                + quote(a.name()), a.type())) + ")) THEN UPDATE SET "
                + list(attributes, a -> quote(a.name()) + " = c." + quote(a.name())) + ", is_inferred = false, "
                + "is_deleted = false, _position_lsn = c._lsn, _position_seq = c._seq, _loaded_at = now()"
                + " WHEN NOT MATCHED AND NOT c._deleted THEN INSERT (" + list(key, c -> quote(c.name())) + ", "
                + list(attributes, a -> quote(a.name())) + ", _position_lsn, _position_seq) VALUES ("
                + list(key, c -> "c." + quote(c.name())) + ", " + list(attributes, a -> "c." + quote(a.name()))
                + ", c._lsn, c._seq)";
    }

    private List<String> loadVersions() {
        String table = StarSchemaDdl.table(star, dimension.definition().tableName());
        List<Column> attributes = dimension.attributes();
        String keys = list(key, c -> quote(c.name()));
        String attributeNames = list(attributes, a -> quote(a.name()));
        String window = "PARTITION BY " + keys + " ORDER BY _lsn, _seq";
        String surrogate = quote(dimension.definition().surrogateKey());
        String tracked = dimension.tracked().isEmpty() ? "false" : "ROW(" + list(dimension.tracked(),
                a -> comparable(quote(a.name()), a.type())) + ") IS DISTINCT FROM ROW(" + list(dimension.tracked(),
                a -> comparable("lag(" + quote(a.name()) + ") OVER w", a.type())) + ")";
        String computeVersions = "INSERT INTO " + versions + " WITH ev AS ("
                + "SELECT " + list(key, c -> "d." + quote(c.name())) + ", " + list(attributes, a -> "d." + quote(a.name()))
                + ", false AS _deleted, -1::bigint AS _lsn, -1::bigint AS _seq, NULL::timestamptz AS _commit_ts, "
                + "false AS _snapshot, true AS _existing, d.is_inferred AS _inferred, d." + surrogate + " AS _sk "
                // The current versions of the batch's members, each probed by key (a join could hash the dimension).
                + "FROM (SELECT DISTINCT " + keys + " FROM " + conformed + ") c CROSS JOIN " + probe(table, "d",
                        equal("d", "c", key) + " AND d.is_current")
                + " UNION ALL SELECT " + keys + ", " + attributeNames + ", _deleted, _lsn, _seq, _commit_ts, _snapshot, "
                + "false, false, NULL::bigint FROM " + conformed
                + "), flagged AS (SELECT ev.*, CASE WHEN _existing OR _deleted THEN 0 WHEN lag(_lsn) OVER w IS NULL THEN 1 "
                + "WHEN lag(_deleted) OVER w THEN 1 WHEN lag(_inferred) OVER w THEN 0 WHEN " + tracked + " THEN 1 "
                + "ELSE 0 END AS _opens FROM ev WINDOW w AS (" + window + ")"
                + "), grouped AS (SELECT flagged.*, sum(_opens) OVER (" + window + ") AS _grp FROM flagged"
                + "), images AS (SELECT DISTINCT ON (" + keys + ", _grp) " + keys + ", _grp, " + attributeNames
                + " FROM grouped WHERE NOT _deleted ORDER BY " + keys + ", _grp, _lsn DESC, _seq DESC"
                + "), bounds AS (SELECT " + keys + ", _grp, bool_or(_existing) AS _existing, "
                + "bool_or(NOT _existing AND NOT _deleted) AS _has_image, "
                + "min(_commit_ts) FILTER (WHERE _opens = 1) AS _opened_at, "
                + "coalesce(bool_or(_snapshot) FILTER (WHERE _opens = 1), false) AS _by_snapshot, "
                + "min(_commit_ts) FILTER (WHERE _deleted) AS _deleted_at, "
                + "(array_agg(_lsn ORDER BY _lsn DESC, _seq DESC))[1] AS _lsn, "
                + "(array_agg(_seq ORDER BY _lsn DESC, _seq DESC))[1] AS _seq, max(_sk) AS _sk FROM grouped GROUP BY "
                + keys + ", _grp"
                + ") SELECT " + list(key, c -> "b." + quote(c.name())) + ", b._grp, "
                + list(attributes, a -> "i." + quote(a.name())) + ", CASE WHEN b._by_snapshot AND b._grp = 1 AND NOT "
                + "EXISTS (SELECT 1 FROM " + table + " d WHERE " + equal("d", "b", key) + ") THEN '-infinity' "
                + "ELSE b._opened_at END, coalesce(b._deleted_at, lead(b._opened_at) OVER (PARTITION BY "
                + list(key, c -> "b." + quote(c.name())) + " ORDER BY b._grp), 'infinity'), b._deleted_at IS NOT NULL, "
                + "b._existing, b._has_image, b._lsn, b._seq, b._sk FROM bounds b LEFT JOIN images i ON " + equal("i", "b", key)
                + " AND i._grp = b._grp WHERE b._existing OR b._grp > 0";
        String closeCurrent = "UPDATE " + table + " d SET " + list(attributes, a -> quote(a.name()) + " = v."
                + quote(a.name())) + ", valid_to = v.valid_to, is_current = v.valid_to = 'infinity', "
                + "is_deleted = v.is_deleted, is_inferred = d.is_inferred AND NOT v._has_image, "
                + "_position_lsn = CASE WHEN v._lsn < 0 THEN d._position_lsn ELSE v._lsn END, "
                + "_position_seq = CASE WHEN v._lsn < 0 THEN d._position_seq ELSE v._seq END, _loaded_at = now() FROM "
                // By the current version's surrogate key (the primary key): matching by natural key and is_current,
                // a dimension without statistics was estimated at 0.5 % current rows and scanned whole per batch row.
                + versions + " v WHERE v._existing AND d." + surrogate + " = v._sk";
        String insertNew = "INSERT INTO " + table + " (" + keys + ", " + attributeNames + ", valid_from, valid_to, "
                + "is_current, is_deleted, _position_lsn, _position_seq) SELECT " + keys + ", " + attributeNames
                + ", valid_from, valid_to, valid_to = 'infinity', is_deleted, _lsn, _seq FROM " + versions
                + " WHERE _grp > 0 ORDER BY " + keys + ", _grp";
        List<String> statements = new ArrayList<>(List.of(computeVersions, closeCurrent, insertNew));
        if (dimension.definition().onDelete() == DeletePolicy.HARD) {
            String deleted = "(SELECT " + keys + ", max(valid_to) AS _gone FROM " + versions + " WHERE is_deleted "
                    + "GROUP BY " + keys + ") x";
            statements.addAll(repointFacts("(SELECT d." + surrogate + " AS _sk FROM " + table + " d JOIN " + deleted
                    + " ON " + equal("d", "x", key) + " WHERE d.valid_to <= x._gone)"));
            statements.add("DELETE FROM " + table + " d USING " + deleted + " WHERE " + equal("d", "x", key)
                    + " AND d.valid_to <= x._gone");
        }
        return statements;
    }

    /** Returns the natural key columns, for facts resolving their references. */
    String naturalKey() {
        return key.stream().map(c -> quote(c.name())).collect(Collectors.joining(", "));
    }
}
