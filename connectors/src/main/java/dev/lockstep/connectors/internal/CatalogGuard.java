package dev.lockstep.connectors.internal;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.core.stream.TopicNames;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Refuses to stream when a source table changed its columns while rows written before the change still wait
 * in the replication slot.
 *
 * <p>Reproduced with Debezium 3.6.3 and pgoutput: such rows, decoded after a restart against the new catalog,
 * come out corrupted (a value dropped, a garbage bigint). The extract records each table's catalog fingerprint
 * with its committed offsets; at start, a table whose fingerprint changed and that has rows pending in the
 * slot stops the extract with what to do.
 */
public final class CatalogGuard {

    private final ExtractSettings settings;
    private final SourceDatabase source;
    private List<TableId> added = List.of();

    public CatalogGuard(ExtractSettings settings, SourceDatabase source) {
        this.settings = settings;
        this.source = source;
    }

    /** Checks the source tables and returns their current fingerprints; throws when streaming is unsafe. */
    public Map<TableId, String> check() {
        Map<TableId, String> current = source.catalogFingerprints();
        List<String> missing = new ArrayList<>();
        current.forEach((table, fingerprint) -> {
            if (fingerprint.equals("missing")) {
                missing.add(table.toString());
            }
        });
        if (!missing.isEmpty()) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "source table(s) " + String.join(", ", missing)
                    + " do not exist in " + settings.database() + " (pipeline " + settings.pipeline() + ")");
        }
        Map<TableId, String> recorded = recorded(settings);
        if (recorded.isEmpty() || !source.slotExists()) {
            return current;
        }
        added = current.keySet().stream().filter(t -> !recorded.containsKey(t)).sorted(
                Comparator.comparing(TableId::toString)).toList();
        List<String> unsafe = new ArrayList<>();
        for (Map.Entry<TableId, String> entry : current.entrySet()) {
            String before = recorded.get(entry.getKey());
            if (before != null && !before.equals(entry.getValue())) {
                long pending = source.pendingRowChanges(entry.getKey());
                if (pending > 0) {
                    unsafe.add(entry.getKey() + " (" + pending + " row change(s) pending)");
                }
            }
        }
        if (!unsafe.isEmpty()) {
            throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "pipeline " + settings.pipeline()
                    + ": the columns of " + String.join(", ", unsafe) + " changed while the extract was stopped, "
                    + "and rows written before the change are still waiting in replication slot "
                    + settings.slotName() + ". Debezium would decode them against the new columns and corrupt them. "
                    + "Run 'lockstep resnapshot <definition> --table <table>' for each table named: it accepts the "
                    + "new columns and re-reads the table once streaming resumes, replacing whatever the pending "
                    + "rows decode to.");
        }
        return current;
    }

    /**
     * Returns the tables {@link #check} found that no earlier extract of the pipeline streamed (a deployment added
     * them): their rows already in the source come by an incremental snapshot. Empty on a pipeline's first start,
     * whose initial snapshot reads every table.
     */
    public List<TableId> added() {
        return added;
    }

    /** Returns the recorded fingerprints with {@code table}'s replaced by its current one. */
    public static Map<TableId, String> accept(ExtractSettings settings, SourceDatabase source, TableId table) {
        Map<TableId, String> current = source.catalogFingerprints();
        Map<TableId, String> accepted = new HashMap<>(recorded(settings));
        if (accepted.isEmpty()) {
            return current;
        }
        accepted.put(table, current.get(table));
        return accepted;
    }

    private static Map<TableId, String> recorded(ExtractSettings settings) {
        String text = OffsetsTopic.lockstepValue(OffsetsTopic.readAll(settings.bootstrapServers(),
                TopicNames.extractOffsets(settings.pipeline())), OffsetsTopic.CATALOG_KEY);
        return text == null ? Map.of() : StreamTransactions.parseCatalog(text);
    }
}
