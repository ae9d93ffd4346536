package dev.lockstep.warehouse.star;

import static dev.lockstep.warehouse.star.StarSchemaDdl.quote;

import dev.lockstep.core.definition.OnFail;
import dev.lockstep.quality.RowCheck;
import java.util.stream.Collectors;

/**
 * The SQL of step 4 for one per-row rule on one target: the rule's failing-row condition (from
 * {@code quality-rules}) applied to the target's conformed rows of the batch, before they are loaded. Deleted rows
 * are not checked.
 */
final class RuleSql {

    private final TargetSql target;
    private final RowCheck check;

    RuleSql(TargetSql target, RowCheck check) {
        this.target = target;
        this.check = check;
    }

    RowCheck check() {
        return check;
    }

    OnFail onFail() {
        return check.rule().onFail();
    }

    /** Returns the condition selecting the conformed rows that fail. */
    private String failing() {
        return "NOT _deleted AND " + check.failing();
    }

    /**
     * Returns the statement that diverts failing rows: removed from the conformed rows and written to the quarantine
     * ledger with the rule, the key, the position and the conformed row, PII masked. Parameters: pipeline,
     * definition version.
     */
    String quarantine() {
        return "WITH failed AS (DELETE FROM " + target.conformed + " WHERE " + failing() + " RETURNING *) "
                + "INSERT INTO lockstep.quarantine (pipeline, cause, rule, target, source_table, natural_key, "
                + "commit_lsn, sequence, definition_version, reason, conformed_row) SELECT ?, 'rule', "
                + TargetSql.literal(check.rule().name()) + ", " + TargetSql.literal(target.target()) + ", "
                + TargetSql.literal(target.from.toString()) + ", " + keyObject("f") + ", f._lsn, f._seq, ?, "
                + TargetSql.literal(check.reason()) + ", " + maskedRow("f") + " FROM failed f RETURNING natural_key::text";
    }

    /** Returns the query counting failing rows, with the keys of the first few. */
    String probe() {
        return "SELECT count(*) OVER (), " + keyObject("c") + "::text FROM " + target.conformed + " c WHERE "
                + failing() + " LIMIT " + SAMPLE_KEYS;
    }

    /** How many keys of failing rows an alert carries. */
    static final int SAMPLE_KEYS = 5;

    private String keyObject(String alias) {
        return "jsonb_build_object(" + target.key.stream().map(c -> TargetSql.literal(c.name()) + ", " + alias + "."
                + quote(c.name())).collect(Collectors.joining(", ")) + ")";
    }

    /** The conformed row as JSON without the applier's own columns, each PII column replaced by {@code ***}. */
    private String maskedRow(String alias) {
        String row = "(SELECT jsonb_object_agg(k, v) FROM jsonb_each(to_jsonb(" + alias + ")) AS e(k, v) "
                + "WHERE k NOT LIKE '\\_%')";
        for (String pii : target.pii()) {
            row = "(" + row + " || jsonb_build_object(" + TargetSql.literal(pii) + ", CASE WHEN " + alias + "."
                    + quote(pii) + " IS NULL THEN NULL ELSE '***' END))";
        }
        return row;
    }
}
