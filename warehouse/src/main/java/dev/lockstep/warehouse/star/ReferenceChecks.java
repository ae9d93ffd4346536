package dev.lockstep.warehouse.star;

import static dev.lockstep.warehouse.star.StarSchemaDdl.quote;

import dev.lockstep.control.AlertStore;
import dev.lockstep.control.QuarantineStore;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.OnFail;
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.definition.ReferencesRule;
import dev.lockstep.quality.alert.AlertEvents;
import dev.lockstep.warehouse.star.StarSchema.FactTable;
import dev.lockstep.warehouse.star.StarSchema.Reference;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code references} rules: facts never wait for a dimension member (they point at an inferred member), and a
 * member still inferred after the rule's {@code grace} takes the rule's action on the facts that point at it —
 * {@code unknown_member} re-points them to {@code -1}, {@code quarantine} moves them to the quarantine ledger,
 * {@code warn} keeps them, {@code fail} stops the pipeline; each raises the rule's alert. Runs in the caller's
 * transaction: at every batch, and on a timer so that it also fires while the stream is quiet.
 */
public final class ReferenceChecks {

    private static final int SAMPLE_KEYS = 5;

    private final StarSchema star;
    private final String pipeline;
    private final int definitionVersion;
    private final AlertStore alerts;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    /** Returns the checks of {@code star}'s references rules for {@code pipeline}. */
    public ReferenceChecks(StarSchema star, String pipeline, int definitionVersion) {
        this.star = star;
        this.pipeline = pipeline;
        this.definitionVersion = definitionVersion;
        this.alerts = new AlertStore(pipeline);
    }

    /** Applies every references rule whose grace has passed for some inferred member; returns the facts acted on. */
    public long run(Connection connection) throws SQLException {
        long acted = 0;
        for (QualityRule rule : star.quality()) {
            if (!(rule instanceof ReferencesRule references)) {
                continue;
            }
            FactTable fact = star.facts().stream().filter(f -> f.definition().name().equals(rule.target())).findFirst()
                    .orElse(null);
            if (fact == null) {
                continue;
            }
            for (Reference reference : fact.references()) {
                if (reference.dimension().name().equals(references.dimension()) && !reference.toDate()) {
                    acted += check(connection, references, fact, reference);
                }
            }
        }
        return acted;
    }

    private long check(Connection connection, ReferencesRule rule, FactTable fact, Reference reference)
            throws SQLException {
        String factTable = StarSchemaDdl.table(star, fact.definition().tableName());
        String dimension = StarSchemaDdl.table(star, reference.dimension().tableName());
        String surrogate = quote(reference.dimension().surrogateKey());
        String column = quote(reference.definition().column());
        String expired = "(SELECT " + surrogate + " FROM " + dimension + " WHERE is_inferred AND _loaded_at < now() - "
                + "make_interval(secs => " + rule.grace().toMillis() / 1000.0 + "))";
        String grain = TargetSql.keyObject(fact.grain(), "f");
        String reason = "dimension member still inferred after the grace period of " + rule.grace()
                + " (it never arrived from the source)";
        String sql = switch (rule.onFail()) {
            case UNKNOWN_MEMBER -> "UPDATE " + factTable + " f SET " + column + " = " + StarSchemaDdl.UNKNOWN_MEMBER
                    + " WHERE " + column + " IN " + expired + " RETURNING " + grain + "::text";
            case QUARANTINE -> "WITH moved AS (DELETE FROM " + factTable + " f WHERE " + column + " IN " + expired
                    + " RETURNING f.*) " + QuarantineStore.insertSql(new QuarantineStore.RowSql("rule",
                            TargetSql.literal(rule.name()), TargetSql.literal(fact.definition().name()),
                            TargetSql.literal(fact.definition().from().toString()),
                            TargetSql.keyObject(fact.grain(), "m"), "m._position_lsn", "m._position_seq",
                            TargetSql.literal(reason), null, "to_jsonb(m) - '_position_lsn' - '_position_seq' - "
                            + "'_loaded_at'"), "moved m") + QuarantineStore.RETURNING_KEYS;
            default -> "SELECT " + grain + "::text FROM " + factTable + " f WHERE " + column + " IN " + expired;
        };
        long failed = 0;
        List<Map<String, Object>> samples = new ArrayList<>();
        String first = null;
        // Prepared once: it runs after every batch (and between batches while the stream is quiet).
        PreparedStatement ps = statements.get(sql);
        if (ps == null) {
            ps = connection.prepareStatement(sql);
            statements.put(sql, ps);
        }
        if (rule.onFail() == OnFail.QUARANTINE) {
            ps.setString(1, pipeline);
            ps.setInt(2, definitionVersion);
        }
        try (ResultSet rows = ps.executeQuery()) {
            while (rows.next()) {
                first = first == null ? rows.getString(1) : first;
                if (failed++ < SAMPLE_KEYS) {
                    samples.add(AlertEvents.sampleKey(rows.getString(1)));
                }
            }
        }
        if (failed == 0) {
            return 0;
        }
        if (rule.onFail() == OnFail.FAIL) {
            throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "quality rule " + rule.name() + " (on_fail: fail): "
                    + failed + " row(s) of " + fact.definition().name() + " point at a " + reference.dimension().name()
                    + " member still inferred after " + rule.grace() + ", the first " + first
                    + "; the pipeline stopped");
        }
        alerts.violated(connection, rule, fact.definition().name(), failed, samples);
        return failed;
    }
}
