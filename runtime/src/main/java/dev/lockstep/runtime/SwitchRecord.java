package dev.lockstep.runtime;

import dev.lockstep.control.OffsetStore;
import dev.lockstep.control.QuarantineStore;
import dev.lockstep.control.ReplayStore;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.migrations.Deployments;
import dev.lockstep.migrations.plan.Operation;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a deployment's switch writes beside its migration, in the migration's transaction: the rule indexes the new
 * version needs, the columns that became {@code pii} masked in the quarantine ledger, a replay of the open quarantine
 * rows of changed targets, and the switch recorded with the position the warehouse reflects (the offsets, which
 * cannot move meanwhile: the apply stage is held at a batch boundary).
 */
final class SwitchRecord {

    private static final Logger LOG = LoggerFactory.getLogger(SwitchRecord.class);
    /** The changes after which a target's open quarantine rows hold values or verdicts of the version before. */
    private static final Set<Operation.Kind> REDERIVES_QUARANTINE = EnumSet.of(
            Operation.Kind.ADD_ATTRIBUTE, Operation.Kind.ADD_MEASURE, Operation.Kind.DROP_ATTRIBUTE,
            Operation.Kind.DROP_MEASURE, Operation.Kind.RENAME_ATTRIBUTE, Operation.Kind.RENAME_MEASURE,
            Operation.Kind.CHANGE_EXPRESSION, Operation.Kind.CHANGE_TYPE, Operation.Kind.ADD_RULE,
            Operation.Kind.DROP_RULE, Operation.Kind.CHANGE_RULE, Operation.Kind.DROP_LOOKUP,
            Operation.Kind.CHANGE_LOOKUP, Operation.Kind.ADD_REFERENCE, Operation.Kind.DROP_REFERENCE,
            Operation.Kind.CHANGE_REFERENCE);

    private SwitchRecord() {
    }

    /** Writes, on {@code c}, what the switch of deployment {@code version} of {@code plan} does beside its migration. */
    static void write(Connection c, DeploymentPlan plan, Deployments deployments, int version) throws SQLException {
        String pipeline = plan.definition().pipeline();
        WarehouseDeployment.ensureRuleIndexes(c, plan.star());
        // Columns that became personal data are masked in the ledger rows already written, with the switch.
        QuarantineStore ledger = new QuarantineStore(c, pipeline);
        for (Operation op : plan.diff().operations()) {
            if (op.kind() == Operation.Kind.CHANGE_PII && op.after().filter("true"::equals).isPresent()) {
                int masked = ledger.mask(op.target(), op.item());
                for (Operation rename : plan.diff().operations()) {
                    // Rows quarantined before a rename in the same deployment hold the column's old name.
                    if (rename.kind() == Operation.Kind.RENAME_ATTRIBUTE && rename.target().equals(op.target())
                            && rename.item().equals(op.item()) && rename.before().isPresent()) {
                        masked += ledger.mask(rename.target(), rename.before().get());
                    }
                }
                LOG.info("pipeline '{}': masked {}.{} in {} quarantine ledger row(s)", pipeline, op.target(),
                        op.item(), masked);
            }
        }
        requestReplays(c, ledger, plan, version);
        StreamPosition position = new OffsetStore(c, pipeline).read().map(OffsetStore.Offsets::applied)
                .orElse(StreamPosition.ZERO);
        deployments.switched(c, version, position.commitLsn(), position.sequence());
        LOG.info("pipeline '{}': definition version {} switches after position {}", pipeline, version, position);
    }

    /**
     * Asks, with the switch, for a replay of the open quarantine rows of every target whose values or rules the
     * deployment changes: they hold values derived under the version before (a changed expression, a column renamed
     * or added) and failed its rules. The switched applier serves the request at its next control point — re-derives
     * them from the raw layer, loads those the new version accepts and quarantines the others again with the new
     * version's values — before it serves a reconcile.
     */
    private static void requestReplays(Connection c, QuarantineStore ledger, DeploymentPlan plan, int version)
            throws SQLException {
        String pipeline = plan.definition().pipeline();
        Set<String> changed = new TreeSet<>();
        for (Operation op : plan.diff().operations()) {
            if (REDERIVES_QUARANTINE.contains(op.kind())) {
                changed.add(op.target());
            }
        }
        if (changed.isEmpty()) {
            return;
        }
        List<String> open = ledger.openTargets(List.copyOf(changed));
        ReplayStore replays = new ReplayStore(c, pipeline);
        for (String target : open) {
            long request = replays.request(List.of(), Optional.of(target), Optional.empty());
            LOG.info("pipeline '{}': open quarantine rows of {} derived again under version {} (replay request {})",
                    pipeline, target, version, request);
        }
    }
}
