package dev.lockstep.warehouse.star;

import static dev.lockstep.warehouse.star.StarSchemaDdl.quote;

import dev.lockstep.control.QuarantineStore;
import dev.lockstep.core.definition.OnFail;
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.quality.RowCheck;
import dev.lockstep.quality.UniqueCheck;

/**
 * The SQL of step 4 for one rule on one target: the rule's failing-row condition (from {@code quality-rules})
 * applied to the target's conformed rows of the batch ({@code c}), before they are loaded. Deleted rows are not
 * checked.
 */
final class RuleSql {

    private final TargetSql target;
    private final QualityRule rule;
    private final String condition;
    private final String reason;

    private RuleSql(TargetSql target, QualityRule rule, String condition, String reason) {
        this.target = target;
        this.rule = rule;
        this.condition = condition;
        this.reason = reason;
    }

    /** Returns the SQL of a rule that looks at one row alone. */
    static RuleSql of(TargetSql target, RowCheck check) {
        return new RuleSql(target, check.rule(), check.failing(), check.reason());
    }

    /** Returns the SQL of a {@code unique} rule: the batch's rows against each other and the warehouse's current rows. */
    static RuleSql of(TargetSql target, UniqueCheck check) {
        return new RuleSql(target, check.rule(), check.failing(target.conformed, target.currentRows(),
                target.key.stream().map(StarSchema.Column::name).toList()), check.reason());
    }

    QualityRule rule() {
        return rule;
    }

    String reason() {
        return reason;
    }

    OnFail onFail() {
        return rule.onFail();
    }

    /** Returns the condition selecting the conformed rows ({@code c}) that fail. */
    private String failing() {
        return "NOT c._deleted AND " + condition;
    }

    /**
     * Returns the statement that diverts failing rows: removed from the conformed rows and written to the quarantine
     * ledger with the rule, the key, the position and the conformed row, PII masked. Parameters: pipeline,
     * definition version.
     */
    String quarantine() {
        return "WITH failed AS (DELETE FROM " + target.conformed + " c WHERE " + failing() + " RETURNING c.*) "
                + QuarantineStore.insertSql(new QuarantineStore.RowSql("rule", TargetSql.literal(rule.name()),
                        TargetSql.literal(target.target()), TargetSql.literal(target.from.toString()), keyObject("f"),
                        "f._lsn", "f._seq", TargetSql.literal(reason), null, maskedRow("f")), "failed f")
                + QuarantineStore.RETURNING_KEYS;
    }

    /** Returns the query counting failing rows, with the keys of the first few. */
    String probe() {
        return "SELECT count(*) OVER (), " + keyObject("c") + "::text FROM " + target.conformed + " c WHERE "
                + failing() + " LIMIT " + SAMPLE_KEYS;
    }

    /** How many keys of failing rows an alert carries. */
    static final int SAMPLE_KEYS = 5;

    private String keyObject(String alias) {
        return TargetSql.keyObject(target.key, alias);
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
