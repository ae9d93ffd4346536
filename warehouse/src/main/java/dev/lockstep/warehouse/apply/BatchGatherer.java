package dev.lockstep.warehouse.apply;

import dev.lockstep.control.QuarantineStore;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.avro.generic.GenericRecord;

/**
 * The reader's side of the applier: takes the records the reader hands over and gathers them into the open batch —
 * changes of the pipeline's tables staged ({@link Stager}), source TRUNCATEs and the end of an initial snapshot as
 * truncations, undecodable records kept for the ledger — and tracks the position the stream reached: the last source
 * transaction ended ({@link #applied}) and the newest change's commit time. The applier decides when the batch closes
 * and applies it; {@link #clear()} then starts the next one. Not thread-safe: the applier's thread only.
 */
final class BatchGatherer implements ChangeStreamReader.Handler {

    private final Stager stager;
    private final Map<TableId, SourceTable> tables;
    private final int batchSize;
    /** COPYs a table's gathered rows into staging: a large transaction streams there instead of growing in memory. */
    private final Consumer<TableId> spill;
    private final List<QuarantineStore.Undecodable> undecodable = new ArrayList<>();
    private StreamPosition applied = StreamPosition.ZERO;
    private long lastCommitMicros;
    private int records;
    /** The position of the batch's first staged change, or null. */
    private StreamPosition start;
    private boolean snapshotCompleted;
    /** The batch applies the last row of an initial snapshot: the tables it filled are analyzed after its commit. */
    private boolean snapshotEnds;
    private boolean snapshotting;
    private final StreamBarrier barrier = new StreamBarrier();

    BatchGatherer(Stager stager, Map<TableId, SourceTable> tables, int batchSize, Consumer<TableId> spill) {
        this.stager = stager;
        this.tables = tables;
        this.batchSize = batchSize;
        this.spill = spill;
    }

    @Override
    public boolean full() {
        return stager.rows() >= batchSize;
    }

    @Override
    public boolean stopsBefore(StreamPosition begin) {
        return barrier.stops(begin);
    }

    @Override
    public void begin(GenericRecord boundary, long offset) {
        records++;
    }

    @Override
    public void record(GenericRecord record, long offset) {
        records++;
        StreamPosition position = ChangeStreamReader.positionOf(record);
        switch (ChangeSchemas.kindOf(record.getSchema())) {
            case CHANGE -> stage(record, position);
            case CONTROL -> control(record, position);
            default -> { }
        }
    }

    @Override
    public void end(GenericRecord boundary, long offset) {
        records++;
        applied = ChangeStreamReader.positionOf(boundary);
        lastCommitMicros = (Long) boundary.get("commit_ts");
    }

    @Override
    public void undecodable(long offset, byte[] value, String reason) {
        records++;
        undecodable.add(new QuarantineStore.Undecodable(offset, value, reason));
    }

    /**
     * Stages {@code change}, decoded again from the quarantine ledger, into the open replay: an old change, so it
     * does not move where the stream resumes.
     */
    void stageReplayed(GenericRecord change) {
        if (ChangeSchemas.kindOf(change.getSchema()) == ChangeSchemas.Kind.CHANGE) {
            StreamPosition before = applied;
            stage(change, ChangeStreamReader.positionOf(change));
            applied = before;
        }
    }

    private void stage(GenericRecord change, StreamPosition position) {
        String snapshot = change.get("snapshot").toString();
        if ("SNAPSHOT_LAST".equals(snapshot)) {
            snapshotCompleted(position, (Long) change.get("commit_ts"));
        }
        TableId table = TableId.parse(change.get("table").toString());
        if (!tables.containsKey(table)) {
            return; // not a table of this pipeline's raw layer
        }
        boolean delete = change.get("op").toString().equals("DELETE");
        GenericRecord image = (GenericRecord) change.get(delete ? "before" : "after");
        if (image == null) {
            return;
        }
        if (position.isAfter(applied)) {
            applied = position; // a change outside any transaction (snapshot)
        }
        lastCommitMicros = (Long) change.get("commit_ts");
        if (start == null) {
            start = position;
        }
        boolean chunkFull = stager.stage(table, image, position, delete, lastCommitMicros, "STREAMING".equals(snapshot),
                (List<?>) change.get("unchanged"));
        snapshotting = "SNAPSHOT".equals(snapshot);
        if (chunkFull) {
            spill.accept(table);
        }
    }

    /**
     * The initial snapshot read at {@code last}'s LSN is complete: every source row is in it. A raw row from before
     * that LSN was not read again, so it is gone from the source — left over from an earlier snapshot that was cut
     * short (the extract killed mid-snapshot snapshots again, later, and never streams the deletes in between). Each
     * table is therefore truncated at the snapshot's LSN, the way a source TRUNCATE is applied: those rows are marked
     * deleted and their dimension members and fact rows follow. A snapshot taken once leaves nothing before its LSN.
     */
    private void snapshotCompleted(StreamPosition last, long commitMicros) {
        StreamPosition at = StreamPosition.of(last.commitLsn(), 0);
        snapshotCompleted = true;
        snapshotEnds = true;
        for (TableId table : tables.keySet()) {
            stager.truncate(table, at, commitMicros, true);
        }
    }

    private void control(GenericRecord control, StreamPosition position) {
        if (!"lockstep.truncate".equals(control.get("prefix").toString())) {
            return;
        }
        TableId table = TableId.parse(StandardCharsets.UTF_8.decode(((ByteBuffer) control.get("content"))
                .duplicate()).toString());
        if (tables.containsKey(table)) {
            stager.truncate(table, position, (Long) control.get("commit_ts"), false);
        }
    }

    /** Ends the batch (applied or rolled back): the next one starts empty. The position reached stays. */
    void clear() {
        stager.clear();
        start = null;
        undecodable.clear();
        records = 0;
        snapshotEnds = false;
    }

    /** Starts reading from {@code position}, stored by the last committed batch. */
    void resumeAt(StreamPosition position) {
        applied = position;
    }

    /** Returns the position of the last source transaction gathered (or of a change outside any transaction). */
    StreamPosition applied() {
        return applied;
    }

    /** Returns the source commit time of the newest change gathered, microseconds since the epoch (0: none). */
    long lastCommitMicros() {
        return lastCommitMicros;
    }

    /** Returns how many records the open batch read, transaction markers included. */
    int records() {
        return records;
    }

    /** Returns true when the open batch has read nothing: every record read so far was applied. */
    boolean isEmpty() {
        return records == 0 && stager.isEmpty() && undecodable.isEmpty();
    }

    /** Returns the position of the batch's first staged change, or null when it staged none. */
    StreamPosition start() {
        return start;
    }

    /** Returns the records the open batch could not decode. */
    List<QuarantineStore.Undecodable> undecodable() {
        return undecodable;
    }

    /** Returns true once the last row of an initial snapshot was gathered. */
    boolean snapshotCompleted() {
        return snapshotCompleted;
    }

    /** Returns true when the open batch holds the last row of an initial snapshot. */
    boolean snapshotEnds() {
        return snapshotEnds;
    }

    /** Returns the barrier the stream stops before. */
    StreamBarrier barrier() {
        return barrier;
    }

    /** Returns true while the stream is inside the initial snapshot. */
    boolean snapshotting() {
        return snapshotting;
    }
}
