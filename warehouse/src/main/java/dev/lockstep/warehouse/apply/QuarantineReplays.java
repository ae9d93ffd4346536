package dev.lockstep.warehouse.apply;

import dev.lockstep.control.QuarantineStore;
import dev.lockstep.control.ReplayStore;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.UndecodableRecordException;
import dev.lockstep.warehouse.star.StarLoader;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.generic.GenericRecord;

/**
 * Serves the requests of {@code lockstep quarantine replay} at the applier's control point, each in one warehouse
 * transaction: an undecodable record that the codec now decodes is applied as the change it is (the raw layer's
 * position guard keeps a newer change of its key); a row a rule or a run-time error diverted is re-checked with the
 * current rules from the raw layer and loaded, unless a newer change of its key came since (then it is marked
 * superseded). A request that fails is rolled back and recorded as failed, so a restarted applier does not retry it.
 */
final class QuarantineReplays {

    private final WarehouseApplier applier;
    private final StarLoader star;
    private final Stager stager;
    private final BatchGatherer batch;
    private final QuarantineStore ledger;
    private final ReplayStore replays;

    QuarantineReplays(WarehouseApplier applier, StarLoader star, Stager stager, BatchGatherer batch,
            QuarantineStore ledger, ReplayStore replays) {
        this.applier = applier;
        this.star = star;
        this.stager = stager;
        this.batch = batch;
        this.ledger = ledger;
        this.replays = replays;
    }

    /** Serves every pending request; returns what each did. */
    List<ReplayOutcome> serve(EnvelopeCodec codec) {
        List<ReplayOutcome> outcomes = new ArrayList<>();
        while (true) {
            Optional<ReplayOutcome> outcome = serveNext(codec);
            if (outcome.isEmpty()) {
                return outcomes;
            }
            outcomes.add(outcome.get());
        }
    }

    private Optional<ReplayOutcome> serveNext(EnvelopeCodec codec) {
        List<Long> rows = new ArrayList<>();
        int undecodableLeft = 0;
        int undecodableReplayed = 0;
        long quarantinedBefore = star.rowsQuarantined();
        try {
            Optional<ReplayStore.Pending> request = replays.lockNext();
            if (request.isEmpty()) {
                return Optional.empty();
            }
            for (QuarantineStore.OpenRow row : ledger.lockOpenRows(request.get())) {
                if (!row.undecodable()) {
                    rows.add(row.quarantineId());
                } else if (replayUndecodable(codec, row)) {
                    undecodableReplayed++;
                } else {
                    undecodableLeft++;
                }
            }
            int superseded = (int) star.replay(rows.stream().mapToLong(Long::longValue).toArray());
            applier.applyStaged();
            star.load(stager.tablesWithRows(), Map.of(), Optional.empty());
            int diverted = (int) (star.rowsQuarantined() - quarantinedBefore);
            int loaded = Math.max(0, rows.size() + undecodableReplayed - superseded - diverted);
            replays.done(request.get().id(), loaded, diverted, superseded, undecodableLeft);
            applier.commit();
            star.committed();
            return Optional.of(new ReplayOutcome(request.get().id(), loaded, diverted, superseded, undecodableLeft));
        } catch (SQLException e) {
            applier.abandon(e);
            recordFailure(e);
            throw applier.failure("replaying quarantined rows failed", e);
        } catch (RuntimeException e) {
            applier.abandon(e); // e.g. a replayed row failed a rule with on_fail: fail
            recordFailure(e);
            throw e;
        } finally {
            batch.clear();
        }
    }

    /** Marks the pending requests done with the failure, so that a restarted applier does not retry them. */
    private void recordFailure(Exception cause) {
        try {
            replays.failPending(cause.getMessage());
            applier.commit();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    /**
     * Decodes an undecodable record again and, when it now decodes, stages the change it holds and marks its ledger
     * row replayed; returns false when it still cannot be decoded.
     */
    private boolean replayUndecodable(EnvelopeCodec codec, QuarantineStore.OpenRow row) throws SQLException {
        GenericRecord record;
        try {
            record = codec.decode(row.rawRecord());
        } catch (UndecodableRecordException e) {
            return false;
        }
        batch.stageReplayed(record);
        ledger.markReplayed(row.quarantineId());
        return true;
    }
}
