package dev.lockstep.warehouse.star;

import dev.lockstep.control.AlertStore;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.OnFail;
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.definition.UniqueRule;
import dev.lockstep.quality.QualityMetrics;
import dev.lockstep.quality.RowCheck;
import dev.lockstep.quality.UniqueCheck;
import dev.lockstep.quality.alert.AlertEvents;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Step 4 of a batch: each target's per-row rules on its conformed rows, before they load. {@code fail} stops the
 * batch (the applier rolls it back), {@code quarantine} and {@code deduplicate} divert the failing rows to the ledger
 * in the batch's transaction, {@code warn} counts them and lets them load. A rule that fails raises its alert in the
 * same transaction; its metrics are recorded once the batch committed.
 */
final class RowRules {

    /** What one rule found in a batch, for the metrics recorded when the batch commits. */
    private record Checked(String target, String rule, long rows, long failed, boolean diverted) {}

    private final Connection connection;
    private final SessionStatements session;
    private final String pipeline;
    private final int definitionVersion;
    private final AlertStore alerts;
    private final Map<TargetSql, List<RuleSql>> rules = new HashMap<>();
    private final Map<String, Long> violations = new TreeMap<>();
    private final List<Checked> pending = new ArrayList<>();
    private long nanos;

    RowRules(Connection connection, SessionStatements session, String pipeline, int definitionVersion) {
        this.connection = connection;
        this.session = session;
        this.pipeline = pipeline;
        this.definitionVersion = definitionVersion;
        this.alerts = new AlertStore(pipeline);
    }

    /** Adds the per-row rules of {@code star} on {@code target}, the strictest first. */
    void add(StarSchema star, TargetSql target) {
        List<RuleSql> checks = new ArrayList<>();
        for (QualityRule rule : star.rulesOn(target.target())) {
            RowCheck.of(rule).ifPresent(check -> checks.add(RuleSql.of(target, check)));
            if (rule instanceof UniqueRule unique) {
                checks.add(RuleSql.of(target, new UniqueCheck(unique)));
            }
        }
        // The strictest first: a failing rule stops the batch before anything is diverted or counted.
        checks.sort(Comparator.comparing(RuleSql::onFail).reversed());
        rules.put(target, checks);
    }

    /** Forgets what a batch that was rolled back found. */
    void beginBatch() {
        pending.clear();
        nanos = 0;
    }

    /** Checks {@code target}'s {@code conformedRows} conformed rows; returns how many it diverted to the ledger. */
    long validate(TargetSql target, long conformedRows) throws SQLException {
        List<RuleSql> checks = rules.get(target);
        if (checks.isEmpty()) {
            return 0;
        }
        long started = System.nanoTime();
        // Every rule in one round trip, strictest first: a fail rule's failure rolls the whole batch back, so what
        // the rules after it diverted in the meantime is undone with it.
        List<String> statements = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        for (RuleSql rule : checks) {
            switch (rule.onFail()) {
                case FAIL, WARN -> statements.add(rule.probe());
                case QUARANTINE, DEDUPLICATE -> {
                    statements.add(rule.quarantine());
                    parameters.add(pipeline);
                    parameters.add(definitionVersion);
                }
                default -> throw new IllegalStateException("on_fail " + rule.onFail() + " is not a per-row action");
            }
        }
        List<SessionStatements.Outcome> outcomes = session.send(statements, parameters.toArray());
        long remaining = conformedRows;
        for (int i = 0; i < checks.size(); i++) {
            RuleSql rule = checks.get(i);
            List<String[]> rows = outcomes.get(i).rows();
            String name = rule.rule().name();
            boolean diverted = rule.onFail() == OnFail.QUARANTINE || rule.onFail() == OnFail.DEDUPLICATE;
            long failed;
            List<Map<String, Object>> samples = new ArrayList<>();
            if (diverted) {
                failed = rows.size();
                rows.stream().limit(RuleSql.SAMPLE_KEYS).forEach(row -> samples.add(AlertEvents.sampleKey(row[0])));
            } else {
                failed = rows.isEmpty() ? 0 : Long.parseLong(rows.get(0)[0]);
                rows.forEach(row -> samples.add(AlertEvents.sampleKey(row[1])));
                if (failed > 0 && rule.onFail() == OnFail.FAIL) {
                    throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "quality rule " + name + " (on_fail: "
                            + "fail) failed on " + failed + " row(s) of " + target.target() + ", the first "
                            + rows.get(0)[1] + ": " + rule.reason() + "; the batch was rolled back and the "
                            + "pipeline stopped");
                }
            }
            if (failed > 0) {
                violations.merge(name, failed, Long::sum);
                alerts.violated(connection, rule.rule(), target.target(), failed, samples);
            }
            pending.add(new Checked(target.target(), name, remaining, failed, diverted));
            if (diverted) {
                remaining -= failed;
            }
        }
        nanos += System.nanoTime() - started;
        return conformedRows - remaining;
    }

    /** Records the metrics of the batch just committed. */
    void committed(QualityMetrics metrics) {
        pending.forEach(c -> metrics.checked(c.target(), c.rule(), c.rows(), c.failed(), c.diverted()));
        if (nanos > 0) {
            metrics.ruleTime(Duration.ofNanos(nanos));
        }
        beginBatch();
    }

    /** Returns, per rule, how many rows failed it so far (quarantined, or loaded with a warning). */
    Map<String, Long> violations() {
        return Collections.unmodifiableMap(violations);
    }
}
