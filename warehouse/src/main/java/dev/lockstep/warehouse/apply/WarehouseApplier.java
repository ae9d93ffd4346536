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
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.reader.ChangeStreamReader;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.quality.QualityMetrics;
import dev.lockstep.warehouse.raw.RawMerge;
import dev.lockstep.warehouse.star.ColumnRebuild;
import dev.lockstep.warehouse.star.StarLoader;
import dev.lockstep.warehouse.star.StarSchema;
import dev.lockstep.warehouse.star.TargetCounts;
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
public final class WarehouseApplier {

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
    private final BatchGatherer batch;
    private StarLoader star;
    private long nextOffset;
    private boolean failed;
    private long maxBatchLatencyNanos;
    /** When the references rules last ran (in a batch, or at a control point), System.nanoTime. */
    private long referencesCheckedNanos = System.nanoTime();
    /** Runs just before each batch commits; throwing rolls the batch back. */
    private Runnable beforeCommit = () -> { };
    /** When the open batch read its first record (System.nanoTime), or 0. */
    private long batchOpenedNanos;
    /** The highest position the warehouse ever reflected: a batch starting above it needs no replay guard. */
    private StreamPosition highWater = StreamPosition.ZERO;

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
        this.batch = new BatchGatherer(stager, this.tables, batchSize, this::spill);
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
                applier.batch.resumeAt(stored.applied());
                // Recorded before the mark existed: the replay guard runs until a batch records it.
                applier.highWater = stored.highWater().orElse(StreamPosition.of(Long.MAX_VALUE, Long.MAX_VALUE));
            });
            if (star.isPresent()) {
                try (Statement s = connection.createStatement()) {
                    // Date keys and date expressions use the definition's calendar.
                    s.execute(star.get().setTimeZone());
                }
                applier.star = StarLoader.prepare(connection, star.get(), applier.stager.createAll(), pipeline,
                        definitionVersion);
            }
            connection.commit();
        } catch (SQLException e) {
            throw applier.failure("cannot read the applied position", e);
        }
        return applier;
    }

    /** Returns true when the facts' foreign keys are checked per row on this session (see StarLoader.prepare). */
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
    public Map<String, TargetCounts> targetCounts() {
        return star == null ? Map.of() : star.targetCounts();
    }

    /** Returns the barrier the stream stops before (a reconcile's exact position); none is set at first. */
    public StreamBarrier barrier() {
        return batch.barrier();
    }

    /**
     * While a deployment rebuilds {@code rebuilds}, each batch writes them for the rows it changes (see StarLoader);
     * a change of a column the next version looks up ({@code lookedUp}) counts as a lookup change from now on.
     */
    public void writeShadows(List<ColumnRebuild> rebuilds, Map<TableId, Set<String>> lookedUp) {
        star.writeShadows(rebuilds);
        rawMerge.lookUpAlso(lookedUp);
    }

    /** Returns the loading of a deployment's new dimensions and facts, at control points. */
    public ShadowTargets shadowTargets() {
        return new ShadowTargets(this, connection, star);
    }

    /** Returns the position the warehouse reflects. */
    public StreamPosition applied() {
        return batch.applied();
    }

    /** Returns the source commit time of the newest change applied, in microseconds since the epoch (0: none yet). */
    public long lastCommitMicros() {
        return batch.lastCommitMicros();
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
        int read = reader.poll(pollTimeout, batch);
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
        while (!failed && !batch.full()) {
            long left = batchOpenedNanos + maxBatchLatencyNanos - System.nanoTime();
            // Inside a transaction the batch waits for its end; between transactions only while more is ready.
            if (read == 0 || (!reader.inTransaction() && (left <= 0 || !reader.moreReady() || barrier().reached()))) {
                break;
            }
            int more = reader.poll(reader.inTransaction() ? pollTimeout : Duration.ofNanos(left), batch);
            read += more;
            if (more == 0 && reader.inTransaction()) {
                return read; // the rest of the transaction is not on the topic yet
            }
        }
        // Also when only transaction markers were read: the stored offset then moves past them.
        if (!reader.inTransaction() && (batch.records() > 0 || reader.nextOffset() > nextOffset)) {
            nextOffset = reader.nextOffset();
            flush();
        }
        return read;
    }

    /**
     * Returns true at a control point: no batch is open, so every record read so far is applied and committed with
     * {@link #nextOffset()}. Control work (quarantine replays, later deployments and backfills) runs only here.
     */
    public boolean atControlPoint() {
        return batch.isEmpty();
    }

    /**
     * The one guard of the apply stage's exactly-once invariant against control work: it uses the batch's
     * connection and state (the staging tables are emptied on commit), so running it while a batch is open would
     * drop the batch's gathered rows and still commit its offset past them.
     */
    void requireControlPoint(String what) {
        if (!atControlPoint()) {
            throw new IllegalStateException("pipeline " + pipeline + ": cannot " + what + " while a batch is open ("
                    + batch.records() + " record(s) read and not applied yet); wait for the control point");
        }
    }

    /** Returns true once this applier has applied the last row of an initial snapshot. */
    public boolean snapshotCompleted() {
        return batch.snapshotCompleted() && batch.records() == 0;
    }

    /** Returns true while the stream is inside the initial snapshot (its last row not applied yet). */
    public boolean snapshotting() {
        return batch.snapshotting();
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

    /** Applies what was gathered: one warehouse transaction. */
    private void flush() {
        try {
            Map<TableId, StarLoader.Truncation> truncations = applyStaged();
            StreamPosition batchStart = batch.start();
            if (star != null && batch.records() > 0) {
                // Above the high-water mark no change is a replay, so a key the raw layer first saw in this batch
                // has no fact row yet.
                star.load(stager.tablesWithRows(), truncations, batchStart != null && batchStart.isAfter(highWater)
                        ? Optional.of(batchStart) : Optional.empty());
            }
            ledger.recordUndecodable(batch.undecodable(), definitionVersion);
            offsets.store(nextOffset, batch.applied(), batch.lastCommitMicros(), newHighWater(), definitionVersion);
            beforeCommit.run();
            FailPoint.check(FailPoint.BEFORE_WAREHOUSE_COMMIT);
            commit();
            if (star != null && batch.records() > 0) {
                referencesCheckedNanos = System.nanoTime(); // the batch ran them
            }
            FailPoint.check(FailPoint.AFTER_WAREHOUSE_COMMIT);
            if (star != null) {
                star.committed();
            }
            highWater = newHighWater();
            if (batch.snapshotEnds()) {
                SnapshotStatistics.analyze(connection, pipeline, warehouseSchema, tables.keySet(), star);
            }
        } catch (SQLException e) {
            abandon(e);
            throw failure("applying a batch of " + stager.rows() + " change(s) up to " + batch.applied() + " failed", e);
        } catch (RuntimeException e) {
            abandon(e); // e.g. a rule stopped the pipeline: nothing of the batch may commit
            throw e;
        } finally {
            batch.clear();
            batchOpenedNanos = 0;
        }
    }

    /** The high-water mark once the batch commits: the applied position, if higher (or the mark was never recorded). */
    private StreamPosition newHighWater() {
        StreamPosition applied = batch.applied();
        return applied.isAfter(highWater) || highWater.commitLsn() == Long.MAX_VALUE ? applied : highWater;
    }

    /**
     * Steps 1 and 2 for every table the batch staged; returns the source TRUNCATEs among them, which the star
     * loader applies too.
     */
    Map<TableId, StarLoader.Truncation> applyStaged() throws SQLException {
        Map<TableId, StarLoader.Truncation> truncations = new HashMap<>();
        for (Map.Entry<TableId, Stager.Staged> entry : stager.staged().entrySet()) {
            applyTable(entry.getKey(), entry.getValue());
            if (entry.getValue().truncatedAt != null) {
                truncations.put(entry.getKey(), new StarLoader.Truncation(entry.getValue().truncatedAt,
                        entry.getValue().truncatedCommitMicros));
            }
        }
        return truncations;
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
        if (!batch.start().isAfter(highWater)) {
            rawMerge.dropReplayed(table, stage); // a batch that may re-read changes the raw layer reflects
        }
        rawMerge.merge(table, stage, s.truncatedAt);
    }

    /**
     * Serves the pending requests of {@code lockstep quarantine replay} between two batches, each in one warehouse
     * transaction ({@link QuarantineReplays}); returns what each request did.
     */
    public List<ReplayOutcome> serveReplays(EnvelopeCodec codec) {
        requireControlPoint("serve quarantine replays");
        if (failed) {
            throw new IllegalStateException("pipeline " + pipeline + ": a batch failed and was rolled back");
        }
        if (star == null) {
            throw new IllegalStateException("replaying quarantined rows needs the star schema");
        }
        return new QuarantineReplays(this, star, stager, batch, ledger, replays).serve(codec);
    }

    /**
     * Commits the open warehouse transaction, emptying first the work tables it filled (staging, and the star
     * loader's temporary tables; see {@link WorkTables}). Every commit on the applier's connection goes through here.
     */
    void commit() throws SQLException {
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
    void abandon(Exception cause) {
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

    LockstepException failure(String what, SQLException e) {
        return new LockstepException(ErrorCode.UNAVAILABLE, "pipeline " + pipeline + ": " + what + ": "
                + e.getMessage(), e);
    }
}
