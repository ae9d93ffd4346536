package dev.lockstep.warehouse.apply;

import static java.util.Objects.requireNonNull;

import dev.lockstep.control.ApplyLease;
import dev.lockstep.control.OffsetStore;
import dev.lockstep.control.QuarantineStore;
import dev.lockstep.control.ReplayStore;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.FailPoint;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.UndecodableRecordException;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.quality.QualityMetrics;
import dev.lockstep.warehouse.raw.RawLayerDdl;
import dev.lockstep.warehouse.raw.RawMerge;
import dev.lockstep.warehouse.star.StarLoader;
import dev.lockstep.warehouse.star.StarSchema;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.avro.generic.GenericRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the change stream to the warehouse exactly once: each batch of whole source transactions is one
 * PostgreSQL transaction running the steps of DESIGN.md "Data flow" — COPY into staging ({@link Stager}), merge into
 * the raw layer ({@link RawMerge}), then, with a star schema, transform, check and load dimensions and facts
 * ({@link StarLoader}), quarantine what the stream could not decode ({@link QuarantineStore}), and store the applied
 * position and the next Kafka offset ({@link OffsetStore}). This class coordinates them: it gathers a batch from
 * the reader, decides when it closes, commits it (emptying the work tables first, {@link WorkTables}), and between
 * batches offers the control point, where quarantine replays and the references rules' re-checks run.
 *
 * <p>Not thread-safe: one applier per pipeline ({@link ApplyLease}), on one connection it owns.
 */
public final class WarehouseApplier implements ChangeStreamReader.Handler {

    private static final Logger LOG = LoggerFactory.getLogger(WarehouseApplier.class);

    private final Connection connection;
    private final String pipeline;
    private final String warehouseSchema;
    private final Map<TableId, SourceTable> tables;
    private final int batchSize;
    private final Stager stager;
    private final RawMerge rawMerge;
    private final OffsetStore offsets;
    private final int definitionVersion;
    private final QuarantineStore ledger;
    private final ReplayStore replays;
    private final WorkTables workTables;
    private final List<QuarantineStore.Undecodable> undecodable = new ArrayList<>();
    private StarLoader star;
    private StreamPosition applied = StreamPosition.ZERO;
    private long nextOffset;
    private long lastCommitMicros;
    private boolean snapshotCompleted;
    /** The batch applies the last row of an initial snapshot: the tables it filled are analyzed after its commit. */
    private boolean analyzeAfterCommit;
    private int pendingRecords;
    private boolean failed;
    private boolean snapshotting;
    private long maxBatchLatencyNanos;
    /** When the references rules last ran (in a batch, or at a control point), System.nanoTime. */
    private long referencesCheckedNanos = System.nanoTime();
    /** Runs just before each batch commits; throwing rolls the batch back. */
    private Runnable beforeCommit = () -> { };
    /** When the open batch read its first record (System.nanoTime), or 0. */
    private long batchOpenedNanos;
    /** Undecodable records the replay being served decoded and staged. */
    private int replayedUndecodable;
    /** The highest position the warehouse ever reflected: a batch starting above it needs no replay guard. */
    private StreamPosition highWater = StreamPosition.ZERO;
    /** The position of the batch's first staged change, or null. */
    private StreamPosition batchStart;

    private WarehouseApplier(Connection connection, String pipeline, String warehouseSchema,
            Map<TableId, SourceTable> tables, int definitionVersion, int batchSize,
            Map<TableId, Set<String>> lookedUp) {
        this.connection = connection;
        this.pipeline = pipeline;
        this.warehouseSchema = warehouseSchema;
        this.tables = Map.copyOf(tables);
        this.batchSize = batchSize;
        this.stager = new Stager(connection, warehouseSchema, tables);
        this.rawMerge = new RawMerge(connection, warehouseSchema, tables, lookedUp);
        this.offsets = new OffsetStore(connection, pipeline);
        this.definitionVersion = definitionVersion;
        this.ledger = new QuarantineStore(connection, pipeline);
        this.replays = new ReplayStore(connection, pipeline);
        this.workTables = new WorkTables(connection);
    }

    /**
     * Opens the applier on {@code connection} (it takes the connection over) and reads where it stands from
     * {@code lockstep.offsets}; it applies the raw layer only. The raw tables and the control schema must exist.
     */
    public static WarehouseApplier open(Connection connection, String pipeline, String warehouseSchema,
            Map<TableId, SourceTable> tables, int definitionVersion, int batchSize) {
        return open(connection, pipeline, warehouseSchema, tables, definitionVersion, batchSize, Optional.empty());
    }

    /**
     * Opens the applier as {@link #open(Connection, String, String, Map, int, int)} does; with {@code star}, each
     * batch also transforms and loads the star schema (dimensions, then facts) in the same transaction. The star
     * schema's tables must exist.
     */
    public static WarehouseApplier open(Connection connection, String pipeline, String warehouseSchema,
            Map<TableId, SourceTable> tables, int definitionVersion, int batchSize, Optional<StarSchema> star) {
        requireNonNull(connection, "connection");
        WarehouseApplier applier = new WarehouseApplier(connection, pipeline, warehouseSchema, tables,
                definitionVersion, batchSize, star.map(StarSchema::lookedUpColumns).orElse(Map.of()));
        try {
            connection.setAutoCommit(false);
            try (Statement s = connection.createStatement()) {
                // Every statement is prepared once and has its plan shape fixed by the SQL (probes into warehouse
                // tables, see PlannerSwitches), not by its parameters' values: planning it again per execution — as
                // PostgreSQL does when it judges a custom plan cheaper — cost ~20 % of a small batch's time.
                s.execute("SET plan_cache_mode = force_generic_plan");
            }
            ApplyLease.acquire(connection, pipeline);
            applier.offsets.read().ifPresent(stored -> {
                applier.nextOffset = stored.nextOffset();
                applier.applied = stored.applied();
                // Recorded before the mark existed: the replay guard runs until a batch records it.
                applier.highWater = stored.highWater().orElse(StreamPosition.of(Long.MAX_VALUE, Long.MAX_VALUE));
            });
            if (star.isPresent()) {
                try (Statement s = connection.createStatement()) {
                    // Date keys and date expressions use the definition's calendar.
                    s.execute("SET TIME ZONE '" + star.get().timezone().getId().replace("'", "''") + "'");
                }
                applier.star = StarLoader.prepare(connection, star.get(), applier.stager.createAll(), pipeline,
                        definitionVersion);
                if (applier.star.checksForeignKeys()) {
                    LOG.info("Pipeline {}: the warehouse checks the facts' foreign keys row by row (about half the "
                            + "cost of loading a fact row); GRANT SET ON PARAMETER session_replication_role to the "
                            + "warehouse user to skip the checks: every key the applier writes is looked up first",
                            pipeline);
                }
            }
            connection.commit();
        } catch (SQLException e) {
            throw applier.failure("cannot read the applied position", e);
        }
        return applier;
    }

    /**
     * Returns true when the warehouse checks the facts' foreign keys row by row on this applier's session: without a
     * star schema, or when the role may not skip them (see {@code StarLoader.prepare}).
     */
    public boolean checksForeignKeys() {
        return star == null || star.checksForeignKeys();
    }

    /** Records the quality metrics of the batches applied from now on in {@code metrics}. */
    public void metrics(QualityMetrics metrics) {
        if (star != null) {
            star.metrics(metrics);
        }
    }

    /** Returns, per target of the star schema, the rows this applier's committed batches loaded and quarantined. */
    public Map<String, StarLoader.TargetCounts> targetCounts() {
        return star == null ? Map.of() : star.targetCounts();
    }

    /** Returns the position the warehouse reflects. */
    public StreamPosition applied() {
        return applied;
    }

    /** Returns the source commit time of the newest change applied, in microseconds since the epoch (0: none yet). */
    public long lastCommitMicros() {
        return lastCommitMicros;
    }

    /** Returns the offset of the changes topic to read next. */
    public long nextOffset() {
        return nextOffset;
    }

    /**
     * Sets the longest a batch stays open waiting for more changes that are ready on the topic (default zero: a batch
     * is what one poll brings). A batch closes at a source transaction boundary once it holds {@code batchSize}
     * changes, once it is that old, or at once when the topic has nothing more ready. On a live stream (less than a
     * batch waiting) its age counts from when its first record reached the topic (the record's timestamp, the
     * extract's clock), so changes that waited through the last batch's apply do not wait again.
     */
    public WarehouseApplier maxBatchLatency(Duration latency) {
        this.maxBatchLatencyNanos = latency.toNanos();
        return this;
    }

    /**
     * Runs {@code check} just before each batch commits, on the applying thread: an exception it throws rolls the
     * batch back and stops this applier (a {@code fail} outcome found elsewhere stops the pipeline there).
     */
    public WarehouseApplier beforeCommit(Runnable check) {
        this.beforeCommit = requireNonNull(check, "check");
        return this;
    }

    /**
     * At a control point, applies the {@code references} rules whose grace passed (re-pointing or quarantining the
     * facts of members still inferred), in a warehouse transaction of its own — when no batch did so for
     * {@code every}: every batch runs them too, so this matters only while the stream is quiet. Returns the facts
     * acted on.
     */
    public long checkReferences(Duration every) {
        requireControlPoint("check the references rules");
        if (star == null || failed || System.nanoTime() - referencesCheckedNanos < every.toNanos()) {
            return 0;
        }
        try {
            long acted = star.checkReferences();
            commit();
            referencesCheckedNanos = System.nanoTime();
            return acted;
        } catch (SQLException e) {
            abandon(e);
            throw failure("checking the references rules failed", e);
        } catch (RuntimeException e) {
            abandon(e); // a references rule with on_fail: fail
            throw e;
        }
    }

    /**
     * Polls {@code reader} and, when the stream is at a source transaction boundary and the batch is done growing
     * (see {@link #maxBatchLatency}), applies what it has gathered in one warehouse transaction (a transaction is
     * never split). Waits at most {@code pollTimeout} for the first record; returns the number of records read.
     */
    public int applyOnce(ChangeStreamReader reader, Duration pollTimeout) {
        if (failed) {
            throw new IllegalStateException("pipeline " + pipeline + ": a batch failed and was rolled back; open a "
                    + "new applier and reader, which resume from the last committed batch");
        }
        int read = reader.poll(pollTimeout, this);
        if (read > 0 && batchOpenedNanos == 0) {
            batchOpenedNanos = System.nanoTime();
            if (!reader.backlog(batchSize)) {
                // A live stream: the batch's latency counts from when its first record reached the topic, not from
                // this poll — it may have waited through the last batch's apply. (Catching up, batches grow full.)
                long waitedMillis = System.currentTimeMillis() - reader.firstTimestamp();
                batchOpenedNanos -= Math.max(0, Math.min(waitedMillis, maxBatchLatencyNanos / 1_000_000))
                        * 1_000_000;
            }
        }
        while (!failed && !full()) {
            long left = batchOpenedNanos + maxBatchLatencyNanos - System.nanoTime();
            // Inside a transaction the batch waits for its end; between transactions only while more is ready.
            if (read == 0 || (!reader.inTransaction() && (left <= 0 || !reader.moreReady()))) {
                break;
            }
            int more = reader.poll(reader.inTransaction() ? pollTimeout : Duration.ofNanos(left), this);
            read += more;
            if (more == 0 && reader.inTransaction()) {
                return read; // the rest of the transaction is not on the topic yet
            }
        }
        // Also when only transaction markers were read: the stored offset then moves past them.
        if (!reader.inTransaction() && (pendingRecords > 0 || reader.nextOffset() > nextOffset)) {
            nextOffset = reader.nextOffset();
            flush();
        }
        return read;
    }

    @Override
    public boolean full() {
        return stager.rows() >= batchSize;
    }

    @Override
    public void begin(GenericRecord boundary, long offset) {
        pendingRecords++;
    }

    @Override
    public void record(GenericRecord record, long offset) {
        pendingRecords++;
        StreamPosition position = ChangeStreamReader.positionOf(record);
        switch (ChangeSchemas.kindOf(record.getSchema())) {
            case CHANGE -> stage(record, position);
            case CONTROL -> control(record, position);
            default -> { }
        }
    }

    @Override
    public void end(GenericRecord boundary, long offset) {
        pendingRecords++;
        applied = ChangeStreamReader.positionOf(boundary);
        lastCommitMicros = (Long) boundary.get("commit_ts");
    }

    @Override
    public void undecodable(long offset, byte[] value, String reason) {
        pendingRecords++;
        undecodable.add(new QuarantineStore.Undecodable(offset, value, reason));
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
        if (batchStart == null) {
            batchStart = position;
        }
        boolean chunkFull = stager.stage(table, image, position, delete, lastCommitMicros, "STREAMING".equals(snapshot),
                (List<?>) change.get("unchanged"));
        snapshotting = "SNAPSHOT".equals(snapshot);
        if (chunkFull) {
            spill(table); // a large transaction streams into staging instead of growing in memory
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
        StreamPosition start = StreamPosition.of(last.commitLsn(), 0);
        snapshotCompleted = true;
        analyzeAfterCommit = true;
        for (TableId table : tables.keySet()) {
            stager.truncate(table, start, commitMicros, true);
        }
    }

    /**
     * Returns true at a control point: no batch is open, so every record read so far is applied and committed with
     * {@link #nextOffset()}. Control work (quarantine replays, later deployments and backfills) runs only here.
     */
    public boolean atControlPoint() {
        return pendingRecords == 0 && stager.isEmpty() && undecodable.isEmpty();
    }

    /**
     * The one guard of the apply stage's exactly-once invariant against control work: it uses the batch's
     * connection and state (the staging tables are emptied on commit), so running it while a batch is open would
     * drop the batch's gathered rows and still commit its offset past them.
     */
    private void requireControlPoint(String what) {
        if (!atControlPoint()) {
            throw new IllegalStateException("pipeline " + pipeline + ": cannot " + what + " while a batch is open ("
                    + pendingRecords + " record(s) read and not applied yet); wait for the control point");
        }
    }

    /** Returns true once this applier has applied the last row of an initial snapshot. */
    public boolean snapshotCompleted() {
        return snapshotCompleted && pendingRecords == 0;
    }

    /** Returns true while the stream is inside the initial snapshot (its last row not applied yet). */
    public boolean snapshotting() {
        return snapshotting;
    }

    /** COPYs what the batch gathered of {@code table} so far into staging, inside the open warehouse transaction. */
    private void spill(TableId table) {
        try {
            stager.copyIn(table, stager.staged().get(table));
        } catch (SQLException e) {
            abandon(e);
            throw failure("staging a transaction of " + stager.rows() + " change(s) failed", e);
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

    /** Applies what was gathered: one warehouse transaction. */
    private void flush() {
        try {
            Map<TableId, StarLoader.Truncation> truncations = new HashMap<>();
            for (Map.Entry<TableId, Stager.Staged> entry : stager.staged().entrySet()) {
                applyTable(entry.getKey(), entry.getValue());
                if (entry.getValue().truncatedAt != null) {
                    truncations.put(entry.getKey(), new StarLoader.Truncation(entry.getValue().truncatedAt,
                            entry.getValue().truncatedCommitMicros));
                }
            }
            if (star != null && pendingRecords > 0) {
                // Above the high-water mark no change is a replay, so a key the raw layer first saw in this batch
                // has no fact row yet.
                star.load(stager.tablesWithRows(), truncations, batchStart != null && batchStart.isAfter(highWater)
                        ? Optional.of(batchStart) : Optional.empty());
            }
            ledger.recordUndecodable(undecodable, definitionVersion);
            offsets.store(nextOffset, applied, lastCommitMicros, newHighWater(), definitionVersion);
            beforeCommit.run();
            FailPoint.check(FailPoint.BEFORE_WAREHOUSE_COMMIT);
            commit();
            if (star != null && pendingRecords > 0) {
                referencesCheckedNanos = System.nanoTime(); // the batch ran them
            }
            FailPoint.check(FailPoint.AFTER_WAREHOUSE_COMMIT);
            if (star != null) {
                star.committed();
            }
            highWater = newHighWater();
            if (analyzeAfterCommit) {
                analyze();
            }
        } catch (SQLException e) {
            abandon(e);
            throw failure("applying a batch of " + stager.rows() + " change(s) up to " + applied + " failed", e);
        } catch (RuntimeException e) {
            abandon(e); // e.g. a rule stopped the pipeline: nothing of the batch may commit
            throw e;
        } finally {
            stager.clear();
            batchStart = null;
            undecodable.clear();
            pendingRecords = 0;
            batchOpenedNanos = 0;
            analyzeAfterCommit = false;
        }
    }

    /** The high-water mark once the batch commits: the applied position, if higher (or the mark was never recorded). */
    private StreamPosition newHighWater() {
        return applied.isAfter(highWater) || highWater.commitLsn() == Long.MAX_VALUE ? applied : highWater;
    }

    /**
     * Gathers statistics of the raw and star tables once an initial snapshot is in, in a transaction of its own: the
     * planner otherwise sizes tables filled in bulk from guesses (a dimension never analyzed is estimated at 0.5 %
     * current rows) until autovacuum analyzes them, and the applier's statements, prepared once, keep plans made from
     * those guesses until statistics change.
     */
    private void analyze() {
        long started = System.nanoTime();
        List<String> analyzed = new ArrayList<>();
        tables.keySet().forEach(table -> analyzed.add(RawLayerDdl.qualified(warehouseSchema, table)));
        if (star != null) {
            analyzed.addAll(star.tables());
        }
        try (Statement st = connection.createStatement()) {
            st.execute("ANALYZE " + String.join(", ", analyzed));
            connection.commit();
            LOG.info("Pipeline {}: initial snapshot applied; analyzed {} warehouse table(s) in {} ms", pipeline,
                    analyzed.size(), (System.nanoTime() - started) / 1_000_000);
        } catch (SQLException e) {
            // Statistics only: the batch is committed, and autovacuum analyzes the tables in time.
            try {
                connection.rollback();
            } catch (SQLException rollback) {
                e.addSuppressed(rollback);
            }
            LOG.warn("Pipeline {}: analyzing the warehouse tables after the initial snapshot failed (autovacuum "
                    + "will): {}", pipeline, e.getMessage());
        }
    }

    /** Steps 1 and 2 for one table: its source TRUNCATE, its staged images COPYed, replays dropped, merged. */
    private void applyTable(TableId table, Stager.Staged s) throws SQLException {
        if (s.truncatedAt != null) {
            rawMerge.truncate(table, s.truncatedAt);
        }
        if (s.rows == 0) {
            return;
        }
        String stage = stager.copyIn(table, s);
        if (!batchStart.isAfter(highWater)) {
            rawMerge.dropReplayed(table, stage); // a batch that may re-read changes the raw layer reflects
        }
        rawMerge.merge(table, stage, s.truncatedAt);
    }

    /** What one request of {@code lockstep quarantine replay} did. */
    public record ReplayOutcome(long requestId, int loaded, int diverted, int superseded, int undecodable) {
    }

    /**
     * Serves the pending requests of {@code lockstep quarantine replay} (table {@code lockstep.quarantine_replays}),
     * between two batches, each in one warehouse transaction: an undecodable record that {@code codec} now decodes
     * is applied as the change it is (the raw layer's position guard keeps a newer change of its key); a row a rule
     * or a run-time error diverted is re-checked with the current rules from the raw layer and loaded, unless a
     * newer change of its key came since (then it is marked superseded). Returns what each request did.
     */
    public List<ReplayOutcome> serveReplays(EnvelopeCodec codec) {
        requireControlPoint("serve quarantine replays");
        if (failed) {
            throw new IllegalStateException("pipeline " + pipeline + ": a batch failed and was rolled back");
        }
        if (star == null) {
            throw new IllegalStateException("replaying quarantined rows needs the star schema");
        }
        List<ReplayOutcome> outcomes = new ArrayList<>();
        while (true) {
            Optional<ReplayOutcome> outcome = serveReplay(codec);
            if (outcome.isEmpty()) {
                return outcomes;
            }
            outcomes.add(outcome.get());
        }
    }

    private Optional<ReplayOutcome> serveReplay(EnvelopeCodec codec) {
        List<Long> rows = new ArrayList<>();
        int undecodableLeft = 0;
        long quarantinedBefore = star.rowsQuarantined();
        try {
            Optional<ReplayStore.Pending> request = replays.lockNext();
            if (request.isEmpty()) {
                return Optional.empty();
            }
            for (QuarantineStore.OpenRow row : ledger.lockOpenRows(request.get())) {
                if (!row.undecodable()) {
                    rows.add(row.quarantineId());
                } else if (!replayUndecodable(codec, row)) {
                    undecodableLeft++;
                }
            }
            int superseded = (int) star.replay(rows.stream().mapToLong(Long::longValue).toArray());
            for (Map.Entry<TableId, Stager.Staged> entry : stager.staged().entrySet()) {
                applyTable(entry.getKey(), entry.getValue());
            }
            star.load(stager.tablesWithRows(), Map.of(), Optional.empty());
            int diverted = (int) (star.rowsQuarantined() - quarantinedBefore);
            int loaded = Math.max(0, rows.size() + replayedUndecodable - superseded - diverted);
            replays.done(request.get().id(), loaded, diverted, superseded, undecodableLeft);
            commit();
            star.committed();
            return Optional.of(new ReplayOutcome(request.get().id(), loaded, diverted, superseded, undecodableLeft));
        } catch (SQLException e) {
            abandon(e);
            recordFailedReplay(e);
            throw failure("replaying quarantined rows failed", e);
        } catch (RuntimeException e) {
            abandon(e); // e.g. a replayed row failed a rule with on_fail: fail
            recordFailedReplay(e);
            throw e;
        } finally {
            stager.clear();
            batchStart = null;
            replayedUndecodable = 0;
        }
    }

    /** Marks the pending replay requests done with the failure, so that a restarted applier does not retry them. */
    private void recordFailedReplay(Exception cause) {
        try {
            replays.failPending(cause.getMessage());
            commit();
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
        if (ChangeSchemas.kindOf(record.getSchema()) == ChangeSchemas.Kind.CHANGE) {
            StreamPosition before = applied;
            stage(record, ChangeStreamReader.positionOf(record));
            applied = before; // an old change does not move where the stream resumes
        }
        ledger.markReplayed(row.quarantineId());
        replayedUndecodable++;
        return true;
    }

    /**
     * Commits the open warehouse transaction, emptying first the work tables it filled (staging, and the star
     * loader's temporary tables; see {@link WorkTables}). Every commit on the applier's connection goes through here.
     */
    private void commit() throws SQLException {
        Stager.Filled staged = stager.drainFilled();
        List<String> filled = new ArrayList<>(staged.tables());
        if (star != null) {
            filled.addAll(star.drainFilledWorkTables());
        }
        workTables.empty(filled, this::allWorkTables, staged.rows());
        connection.commit();
    }

    /** Every work table of the session: what a {@code TRUNCATE} empties. */
    private List<String> allWorkTables() {
        List<String> all = stager.allTables();
        if (star != null) {
            all.addAll(star.workTables());
        }
        return all;
    }

    /** Rolls the open batch back and refuses further batches: the next applier resumes from the last commit. */
    private void abandon(Exception cause) {
        failed = true;
        stager.drainFilled(); // rolled back with the rest
        if (star != null) {
            star.drainFilledWorkTables();
        }
        try {
            connection.rollback();
        } catch (SQLException rollback) {
            cause.addSuppressed(rollback);
        }
    }

    private LockstepException failure(String what, SQLException e) {
        return new LockstepException(ErrorCode.UNAVAILABLE, "pipeline " + pipeline + ": " + what + ": "
                + e.getMessage(), e);
    }
}
