package dev.lockstep.warehouse.raw;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.FailPoint;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.connect.SourceColumn;
import dev.lockstep.core.definition.connect.SourceTable;
import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.UndecodableRecordException;
import dev.lockstep.core.stream.ChangeStreamReader;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.quality.QualityMetrics;
import dev.lockstep.warehouse.star.StarLoader;
import dev.lockstep.warehouse.star.StarSchema;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.postgresql.PGConnection;
import org.postgresql.PGStatement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the change stream to the raw layer — a current-state mirror of each source table — exactly once: each
 * batch of whole source transactions is one PostgreSQL transaction that COPYs the batch into staging, merges the
 * last image of each key into the raw tables (a change older than the row's position is ignored; unchanged
 * TOASTed values keep the stored value), and stores the applied position and the next Kafka offset in
 * {@code lockstep.offsets}. Undecodable records go to the quarantine ledger in the same transaction.
 *
 * <p>This is steps 1, 2 and 6 of the apply transaction (DESIGN.md "Data flow"); transforms, rules and the star
 * schema build on it. Not thread-safe: one applier per pipeline, on one connection.
 */
public final class RawLayerApplier implements ChangeStreamReader.Handler {

    private static final Logger LOG = LoggerFactory.getLogger(RawLayerApplier.class);

    private final Connection connection;
    private final String pipeline;
    private final String warehouseSchema;
    private final Map<TableId, SourceTable> tables;
    private final int definitionVersion;
    private final int batchSize;
    private final Map<TableId, Staged> staged = new LinkedHashMap<>();
    private final Map<Schema, int[]> fieldPositions = new IdentityHashMap<>();
    private final List<Object[]> undecodable = new ArrayList<>();
    private StreamPosition applied;
    private long nextOffset;
    private long lastCommitMicros;
    private boolean snapshotCompleted;
    /** The batch applies the last row of an initial snapshot: the tables it filled are analyzed after its commit. */
    private boolean analyzeAfterCommit;
    private int pendingRows;
    private int pendingRecords;
    private boolean failed;
    private final Map<TableId, String> stagingNames = new HashMap<>();
    /** The statements emptying the work tables, by SQL (the staging tables appear as the stream's tables do). */
    private final Map<String, PreparedStatement> emptying = new HashMap<>();
    /** Staging tables written since {@link #commit()} last emptied them, and the rows COPYed into them. */
    private final Set<String> filledStages = new TreeSet<>();
    private long workRows;
    private int emptiedSinceTruncate;
    private final Map<TableId, PreparedStatement> merges = new HashMap<>();
    private final Map<TableId, PreparedStatement> replayGuards = new HashMap<>();
    private PreparedStatement storeOffsets;
    private final Map<TableId, String> copies = new HashMap<>();
    private StarLoader star;
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
    /** How long opening waits for another applier of the pipeline to let go. */
    private static final Duration LOCK_WAIT = Duration.ofSeconds(15);
    /** A batch's COPY text for one table is sent to staging once it reaches this size. */
    private static final int COPY_CHUNK_CHARS = 4 << 20;

    /** Rows in the work tables from which {@link #commit()} truncates them instead of deleting the rows. */
    private static final int TRUNCATE_FROM_ROWS = 1_000;
    /** Every how many emptyings {@link #commit()} truncates the work tables anyway. */
    private static final int TRUNCATE_EVERY = 100;
    /** How many emptying statements (one per set of work tables filled) are kept prepared. */
    private static final int EMPTYING_STATEMENTS = 32;

    /** What one batch holds for one table: COPY text, and the latest TRUNCATE's position. */
    private static final class Staged {
        final StringBuilder copy = new StringBuilder();
        int rows;
        StreamPosition truncatedAt;
        long truncatedCommitMicros;
    }

    private RawLayerApplier(Connection connection, String pipeline, String warehouseSchema,
            Map<TableId, SourceTable> tables, int definitionVersion, int batchSize) {
        this.connection = connection;
        this.pipeline = pipeline;
        this.warehouseSchema = warehouseSchema;
        this.tables = Map.copyOf(tables);
        this.definitionVersion = definitionVersion;
        this.batchSize = batchSize;
    }

    /**
     * Opens the applier on {@code connection} (it takes the connection over) and reads where it stands from
     * {@code lockstep.offsets}. The raw tables and the control schema must exist.
     */
    public static RawLayerApplier open(Connection connection, String pipeline, String warehouseSchema,
            Map<TableId, SourceTable> tables, int definitionVersion, int batchSize) {
        return open(connection, pipeline, warehouseSchema, tables, definitionVersion, batchSize, Optional.empty());
    }

    /**
     * Opens the applier as {@link #open(Connection, String, String, Map, int, int)} does; with {@code star}, each
     * batch also transforms and loads the star schema (dimensions, then facts) in the same transaction. The star
     * schema's tables must exist.
     */
    public static RawLayerApplier open(Connection connection, String pipeline, String warehouseSchema,
            Map<TableId, SourceTable> tables, int definitionVersion, int batchSize, Optional<StarSchema> star) {
        requireNonNull(connection, "connection");
        RawLayerApplier applier = new RawLayerApplier(connection, pipeline, warehouseSchema, tables,
                definitionVersion, batchSize);
        try {
            connection.setAutoCommit(false);
            try (Statement s = connection.createStatement()) {
                // A previous holder that just died may still hold the lock until its backend exits: wait a little.
                s.execute("SET LOCAL lock_timeout = '" + LOCK_WAIT.toMillis() + "ms'");
            }
            try (PreparedStatement lock = connection.prepareStatement(
                    "SELECT pg_advisory_lock(hashtext('lockstep.apply'), hashtext(?))")) {
                lock.setString(1, pipeline);
                lock.execute();
            } catch (SQLException e) {
                if ("55P03".equals(e.getSQLState())) {
                    throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "another apply of pipeline " + pipeline
                            + " is running on this warehouse (waited " + LOCK_WAIT.toSeconds() + " s for it); only one "
                            + "may write it");
                }
                throw e;
            }
            connection.commit(); // the advisory lock is the session's; lock_timeout goes back to its default
            try (PreparedStatement ps = connection.prepareStatement("SELECT next_offset, commit_lsn, sequence, "
                    + "high_commit_lsn, high_sequence FROM lockstep.offsets WHERE pipeline = ?")) {
                ps.setString(1, pipeline);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        applier.nextOffset = rs.getLong(1);
                        applier.applied = StreamPosition.of(rs.getLong(2), rs.getLong(3));
                        long highLsn = rs.getLong(4);
                        // Recorded before the mark existed: the guard runs until a batch records it.
                        applier.highWater = rs.wasNull() ? StreamPosition.of(Long.MAX_VALUE, Long.MAX_VALUE)
                                : StreamPosition.of(highLsn, rs.getLong(5));
                    } else {
                        applier.nextOffset = 0;
                        applier.applied = StreamPosition.ZERO;
                    }
                }
            }
            if (star.isPresent()) {
                try (Statement s = connection.createStatement()) {
                    // Date keys and date expressions use the definition's calendar.
                    s.execute("SET TIME ZONE '" + star.get().timezone().getId().replace("'", "''") + "'");
                }
                for (TableId table : tables.keySet()) {
                    applier.createStaging(table);
                }
                applier.star = StarLoader.prepare(connection, star.get(), applier.stagingNames, pipeline,
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

    /** Returns, per target of the star schema, the rows the batches committed by this applier loaded and quarantined. */
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
    public RawLayerApplier maxBatchLatency(Duration latency) {
        this.maxBatchLatencyNanos = latency.toNanos();
        return this;
    }

    /**
     * Runs {@code check} just before each batch commits, on the applying thread: an exception it throws rolls the
     * batch back and stops this applier (a {@code fail} outcome found elsewhere stops the pipeline there).
     */
    public RawLayerApplier beforeCommit(Runnable check) {
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
        return pendingRows >= batchSize;
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
        undecodable.add(new Object[] {offset, value, reason});
    }

    private void stage(GenericRecord change, StreamPosition position) {
        if ("SNAPSHOT_LAST".equals(change.get("snapshot").toString())) {
            snapshotCompleted(position, (Long) change.get("commit_ts"));
        }
        TableId table = TableId.parse(change.get("table").toString());
        SourceTable source = tables.get(table);
        if (source == null) {
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
        int[] positions = fieldPositions.computeIfAbsent(image.getSchema(), s -> positions(s, source));
        Staged s = staged.computeIfAbsent(table, t -> new Staged());
        StringBuilder line = s.copy;
        List<Schema.Field> fields = image.getSchema().getFields();
        for (int i = 0; i < positions.length; i++) {
            if (i > 0) {
                line.append('\t');
            }
            int p = positions[i];
            CopyText.append(line, p < 0 ? null : fields.get(p).schema(), p < 0 ? null : image.get(p));
        }
        line.append('\t').append(position.commitLsn()).append('\t').append(position.sequence())
                .append('\t').append(delete ? 't' : 'f').append('\t');
        CopyText.appendTimestampMicros(line, lastCommitMicros);
        line.append('\t').append("STREAMING".equals(change.get("snapshot").toString()) ? 'f' : 't').append('\t');
        List<?> unchanged = (List<?>) change.get("unchanged");
        StringBuilder array = new StringBuilder("{");
        for (Object column : unchanged) {
            if (array.length() > 1) {
                array.append(',');
            }
            array.append('"').append(column.toString().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        CopyText.appendText(line, array.append('}').toString());
        line.append('\n');
        s.rows++;
        pendingRows++;
        snapshotting = "SNAPSHOT".equals(change.get("snapshot").toString());
        if (line.length() >= COPY_CHUNK_CHARS) {
            spill(table, s); // a large transaction streams into staging instead of growing in memory
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
            Staged s = staged.computeIfAbsent(table, t -> new Staged());
            if (s.truncatedAt == null || start.isAfter(s.truncatedAt)) {
                s.truncatedAt = start;
                s.truncatedCommitMicros = commitMicros;
            }
        }
    }

    /**
     * Returns true at a control point: no batch is open, so every record read so far is applied and committed with
     * {@link #nextOffset()}. Control work (quarantine replays, later deployments and backfills) runs only here.
     */
    public boolean atControlPoint() {
        return pendingRecords == 0 && staged.isEmpty() && undecodable.isEmpty();
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

    /** COPYs what {@code s} gathered so far into the staging table, inside the open warehouse transaction. */
    private void spill(TableId table, Staged s) {
        try {
            copyIn(table, s);
        } catch (SQLException e) {
            abandon(e);
            throw failure("staging a transaction of " + pendingRows + " change(s) failed", e);
        }
    }

    private void copyIn(TableId table, Staged s) throws SQLException {
        if (s.copy.length() == 0) {
            return;
        }
        String stage = createStaging(table);
        String copy = copies.computeIfAbsent(table, t -> "COPY " + stage + " (" + tables.get(t).columns().stream()
                .map(c -> RawLayerDdl.quote(c.name())).collect(Collectors.joining(", ")) + ", _position_lsn, "
                + "_position_seq, _deleted, _commit_ts, _snapshot, _unchanged) FROM STDIN");
        try {
            filledStages.add(stage);
            workRows += connection.unwrap(PGConnection.class).getCopyAPI().copyIn(copy,
                    new StringReader(s.copy.toString()));
        } catch (java.io.IOException e) {
            throw new SQLException("COPY into staging failed: " + e.getMessage(), e);
        }
        s.copy.setLength(0);
    }

    private void control(GenericRecord control, StreamPosition position) {
        if (!"lockstep.truncate".equals(control.get("prefix").toString())) {
            return;
        }
        TableId table = TableId.parse(StandardCharsets.UTF_8.decode(((ByteBuffer) control.get("content"))
                .duplicate()).toString());
        if (tables.containsKey(table)) {
            Staged s = staged.computeIfAbsent(table, t -> new Staged());
            s.truncatedAt = position;
            s.truncatedCommitMicros = (Long) control.get("commit_ts");
        }
    }

    /** For each source column, the position of its field in the Avro row, or -1 when the row does not have it. */
    private static int[] positions(Schema row, SourceTable source) {
        Map<String, Integer> byColumn = new HashMap<>();
        for (Schema.Field field : row.getFields()) {
            String column = Optional.ofNullable(field.getProp(ChangeSchemas.COLUMN)).orElse(field.name());
            byColumn.put(column, field.pos());
        }
        return source.columns().stream().mapToInt(c -> byColumn.getOrDefault(c.name(), -1)).toArray();
    }

    /** Returns the source tables the open batch staged changes of. */
    private Set<TableId> stagedTables() {
        return staged.entrySet().stream().filter(e -> e.getValue().rows > 0).map(Map.Entry::getKey)
                .collect(Collectors.toSet());
    }

    /** Applies what was gathered: one warehouse transaction. */
    private void flush() {
        try {
            Map<TableId, StarLoader.Truncation> truncations = new HashMap<>();
            for (Map.Entry<TableId, Staged> entry : staged.entrySet()) {
                applyTable(entry.getKey(), entry.getValue());
                if (entry.getValue().truncatedAt != null) {
                    truncations.put(entry.getKey(), new StarLoader.Truncation(entry.getValue().truncatedAt,
                            entry.getValue().truncatedCommitMicros));
                }
            }
            if (star != null && pendingRecords > 0) {
                // Above the high-water mark no change is a replay, so a key the raw layer first saw in this batch
                // has no fact row yet.
                star.load(stagedTables(), truncations, batchStart != null && batchStart.isAfter(highWater)
                        ? Optional.of(batchStart) : Optional.empty());
            }
            quarantineUndecodable();
            storeOffsets();
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
            if (applied.isAfter(highWater) || highWater.commitLsn() == Long.MAX_VALUE) {
                highWater = applied;
            }
            if (analyzeAfterCommit) {
                analyze();
            }
        } catch (SQLException e) {
            abandon(e);
            throw failure("applying a batch of " + pendingRows + " change(s) up to " + applied + " failed", e);
        } catch (RuntimeException e) {
            abandon(e); // e.g. a rule stopped the pipeline: nothing of the batch may commit
            throw e;
        } finally {
            staged.clear();
            batchStart = null;
            undecodable.clear();
            pendingRows = 0;
            pendingRecords = 0;
            batchOpenedNanos = 0;
            analyzeAfterCommit = false;
        }
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

    private void applyTable(TableId table, Staged s) throws SQLException {
        SourceTable source = tables.get(table);
        String raw = RawLayerDdl.qualified(warehouseSchema, table);
        String stage = createStaging(table);
        try (Statement st = connection.createStatement()) {
            if (s.truncatedAt != null) {
                st.execute("UPDATE " + raw + " SET _deleted = true, _position_lsn = " + s.truncatedAt.commitLsn()
                        + ", _position_seq = " + s.truncatedAt.sequence() + ", _loaded_at = now() WHERE NOT _deleted "
                        + "AND (_position_lsn, _position_seq) < (" + s.truncatedAt.commitLsn() + ", "
                        + s.truncatedAt.sequence() + ")");
            }
        }
        if (s.rows == 0) {
            return;
        }
        copyIn(table, s);
        if (!batchStart.isAfter(highWater)) {
            // Replay guard: images the raw layer already reflects (re-read after a rewound offset) leave the
            // batch, so neither the merge nor the transforms see them again.
            PreparedStatement guard = replayGuards.get(table);
            if (guard == null) {
                guard = prepare("DELETE FROM " + stage + " s USING " + raw + " r WHERE " + String.join(" AND ",
                        source.primaryKey().stream().map(RawLayerDdl::quote).map(k -> "r." + k + " = s." + k)
                        .toList()) + " AND (s._position_lsn, s._position_seq) <= (r._position_lsn, r._position_seq)");
                replayGuards.put(table, guard);
            }
            guard.execute();
        }
        if (s.truncatedAt != null) {
            try (Statement st = connection.createStatement()) {
                st.execute(mergeSql(source, raw, stage, s.truncatedAt)); // rare: a TRUNCATE's position in the text
            }
        } else {
            PreparedStatement merge = merges.get(table);
            if (merge == null) {
                // Each staged key probes the raw table's primary key, whatever the estimates: the staging table's
                // pages (the planner's only clue) hold deleted rows of earlier batches, and a merge join read the
                // raw table's whole key index for a batch of 14 customers (4.5 ms median in e2e's latency phase).
                // With its shape fixed, the server may keep its plan from batch to batch (planning took ~1 ms a
                // batch), so it is a server-side prepared statement; the replay guard is still planned each time.
                merge = connection.prepareStatement(StarLoader.JOINS_BY_PROBE + "; " + mergeSql(source, raw, stage,
                        null) + "; " + StarLoader.JOINS_ANY);
                merges.put(table, merge);
            }
            merge.execute();
        }
    }

    /**
     * Prepares {@code sql} to be kept for the applier's life, parsed once by the driver and planned by the server at
     * each execution: for the replay guard, whose join is left to the planner (a plan kept from a large batch could
     * hash the whole raw table for every later small one). The raw merges, whose shape is fixed, are server-side
     * prepared statements instead. The statements stay open with the connection the applier owns.
     */
    private PreparedStatement prepare(String sql) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        statement.unwrap(PGStatement.class).setPrepareThreshold(0);
        return statement;
    }

    /**
     * Returns the staging table of {@code table}, creating it the first time: the raw table's columns, plus the
     * unchanged TOASTed columns, the source commit time and whether the image is a snapshot read.
     */
    private String createStaging(TableId table) throws SQLException {
        String existing = stagingNames.get(table);
        if (existing != null) {
            return existing;
        }
        String stage = "lockstep_stage_" + (stagingNames.size() + 1);
        try (Statement st = connection.createStatement()) {
            st.execute("CREATE TEMP TABLE IF NOT EXISTS " + stage + " (LIKE " + RawLayerDdl.qualified(warehouseSchema,
                    table) + " INCLUDING DEFAULTS) ON COMMIT PRESERVE ROWS");
            st.execute("ALTER TABLE " + stage + " ADD COLUMN IF NOT EXISTS _unchanged text[], ADD COLUMN IF NOT EXISTS "
                    + "_commit_ts timestamptz, ADD COLUMN IF NOT EXISTS _snapshot boolean");
            // Supports: the merge's lookups of a key's earlier images in the batch.
            st.execute("CREATE INDEX ON " + stage + " (" + String.join(", ", tables.get(table).primaryKey().stream()
                    .map(RawLayerDdl::quote).toList()) + ", _position_lsn, _position_seq)");
        }
        stagingNames.put(table, stage);
        return stage;
    }

    /**
     * The merge: for each key the batch's last image, newer than the stored row; an unchanged TOASTed column takes
     * the latest earlier image of the batch that had it, else keeps the stored value.
     */
    private static String mergeSql(SourceTable source, String raw, String stage, StreamPosition truncatedAt) {
        List<String> keys = source.primaryKey().stream().map(RawLayerDdl::quote).toList();
        StringBuilder using = new StringBuilder("SELECT DISTINCT ON (").append(String.join(", ", keys))
                .append(") s.*");
        List<String> updates = new ArrayList<>();
        List<String> inserts = new ArrayList<>();
        for (SourceColumn column : source.columns()) {
            String c = RawLayerDdl.quote(column.name());
            if (source.primaryKey().contains(column.name())) {
                inserts.add("s." + c);
                continue;
            }
            String literal = "'" + column.name().replace("'", "''") + "'";
            String earlier = "FROM " + stage + " p WHERE " + String.join(" AND ", keys.stream()
                    .map(k -> "p." + k + " = s." + k).toList()) + " AND NOT p._deleted AND (p._position_lsn, "
                    + "p._position_seq) < (s._position_lsn, s._position_seq) AND NOT (" + literal
                    + " = ANY(coalesce(p._unchanged, '{}')))";
            String alias = "\"" + column.name().replace("\"", "\"\"") + "__earlier\"";
            String known = "\"" + column.name().replace("\"", "\"\"") + "__known\"";
            using.append(", CASE WHEN ").append(literal).append(" = ANY(coalesce(s._unchanged, '{}')) THEN (SELECT p.")
                    .append(c).append(' ').append(earlier).append(" ORDER BY p._position_lsn DESC, p._position_seq "
                    + "DESC LIMIT 1) END AS ").append(alias);
            using.append(", CASE WHEN ").append(literal).append(" = ANY(coalesce(s._unchanged, '{}')) THEN EXISTS (SELECT 1 ")
                    .append(earlier).append(") END AS ").append(known);
            // A delete keeps the last image: the batch's latest earlier image of the key, else the stored row.
            String lastImage = "FROM " + stage + " p WHERE " + String.join(" AND ", keys.stream()
                    .map(k -> "p." + k + " = s." + k).toList()) + " AND NOT p._deleted AND (p._position_lsn, "
                    + "p._position_seq) < (s._position_lsn, s._position_seq)";
            String beforeDelete = "\"" + column.name().replace("\"", "\"\"") + "__before_delete\"";
            using.append(", CASE WHEN s._deleted THEN (SELECT p.").append(c).append(' ').append(lastImage)
                    .append(" ORDER BY p._position_lsn DESC, p._position_seq DESC LIMIT 1) END AS ").append(beforeDelete);
            using.append(", s._deleted AND EXISTS (SELECT 1 ").append(lastImage).append(") AS \"")
                    .append(column.name().replace("\"", "\"\"")).append("__had_image\"");
            String hadImage = "s.\"" + column.name().replace("\"", "\"\"") + "__had_image\"";
            updates.add(c + " = CASE WHEN " + hadImage + " THEN s." + beforeDelete + " WHEN s._deleted THEN r." + c
                    + " WHEN s." + known + " THEN s." + alias + " WHEN s." + known + " IS NOT NULL THEN r." + c
                    + " ELSE s." + c + " END");
            inserts.add("CASE WHEN " + hadImage + " THEN s." + beforeDelete + " WHEN s." + known + " THEN s." + alias
                    + " ELSE s." + c + " END");
        }
        using.append(" FROM ").append(stage).append(" s");
        if (truncatedAt != null) {
            using.append(" WHERE (s._position_lsn, s._position_seq) > (").append(truncatedAt.commitLsn()).append(", ")
                    .append(truncatedAt.sequence()).append(')');
        }
        using.append(" ORDER BY ").append(String.join(", ", keys)).append(", s._position_lsn DESC, s._position_seq DESC");
        updates.add("_position_lsn = s._position_lsn");
        updates.add("_position_seq = s._position_seq");
        updates.add("_deleted = s._deleted");
        updates.add("_loaded_at = now()");
        List<String> all = source.columns().stream().map(c -> RawLayerDdl.quote(c.name())).toList();
        return "MERGE INTO " + raw + " AS r USING (" + using + ") AS s ON "
                + String.join(" AND ", keys.stream().map(k -> "r." + k + " = s." + k).toList())
                + " WHEN MATCHED AND (r._position_lsn, r._position_seq) < (s._position_lsn, s._position_seq) THEN "
                + "UPDATE SET " + String.join(", ", updates)
                + " WHEN NOT MATCHED THEN INSERT (" + String.join(", ", all) + ", _position_lsn, _position_seq, "
                + "_deleted, _inserted_lsn, _inserted_seq) VALUES (" + String.join(", ", inserts) + ", s._position_lsn, "
                + "s._position_seq, s._deleted, s._position_lsn, s._position_seq)";
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
        long requestId;
        List<Long> rows = new ArrayList<>();
        int undecodableLeft = 0;
        int superseded;
        long quarantinedBefore = star.rowsQuarantined();
        try {
            try (PreparedStatement ps = connection.prepareStatement("SELECT replay_id, quarantine_ids, target, rule "
                    + "FROM lockstep.quarantine_replays WHERE pipeline = ? AND done_at IS NULL ORDER BY replay_id "
                    + "LIMIT 1 FOR UPDATE SKIP LOCKED")) {
                ps.setString(1, pipeline);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        connection.commit();
                        return Optional.empty();
                    }
                    requestId = rs.getLong(1);
                    try (PreparedStatement open = connection.prepareStatement("SELECT quarantine_id, cause, raw_record, "
                            + "kafka_offset FROM lockstep.quarantine WHERE pipeline = ? AND status = 'open' AND "
                            + "(?::bigint[] IS NULL OR quarantine_id = ANY(?)) AND (?::text IS NULL OR target = ?) "
                            + "AND (?::text IS NULL OR rule = ?) ORDER BY quarantine_id FOR UPDATE")) {
                        open.setString(1, pipeline);
                        open.setArray(2, rs.getArray(2));
                        open.setArray(3, rs.getArray(2));
                        open.setString(4, rs.getString(3));
                        open.setString(5, rs.getString(3));
                        open.setString(6, rs.getString(4));
                        open.setString(7, rs.getString(4));
                        try (ResultSet q = open.executeQuery()) {
                            while (q.next()) {
                                if (!"undecodable".equals(q.getString(2))) {
                                    rows.add(q.getLong(1));
                                } else if (!replayUndecodable(codec, q.getLong(1), q.getBytes(3), q.getLong(4))) {
                                    undecodableLeft++;
                                }
                            }
                        }
                    }
                }
            }
            superseded = (int) star.replay(rows.stream().mapToLong(Long::longValue).toArray());
            for (Map.Entry<TableId, Staged> entry : staged.entrySet()) {
                applyTable(entry.getKey(), entry.getValue());
            }
            star.load(stagedTables(), Map.of(), Optional.empty());
            int diverted = (int) (star.rowsQuarantined() - quarantinedBefore);
            int loaded = Math.max(0, rows.size() + replayedUndecodable - superseded - diverted);
            try (PreparedStatement done = connection.prepareStatement("UPDATE lockstep.quarantine_replays SET "
                    + "done_at = now(), loaded = ?, diverted = ?, superseded = ?, undecodable = ? WHERE replay_id = ?")) {
                done.setInt(1, loaded);
                done.setInt(2, diverted);
                done.setInt(3, superseded);
                done.setInt(4, undecodableLeft);
                done.setLong(5, requestId);
                done.executeUpdate();
            }
            commit();
            star.committed();
            return Optional.of(new ReplayOutcome(requestId, loaded, diverted, superseded, undecodableLeft));
        } catch (SQLException e) {
            abandon(e);
            recordFailedReplay(e);
            throw failure("replaying quarantined rows failed", e);
        } catch (RuntimeException e) {
            abandon(e); // e.g. a replayed row failed a rule with on_fail: fail
            recordFailedReplay(e);
            throw e;
        } finally {
            staged.clear();
            batchStart = null;
            pendingRows = 0;
            replayedUndecodable = 0;
        }
    }

    /** Marks the pending replay requests done with the failure, so that a restarted applier does not retry them. */
    private void recordFailedReplay(Exception cause) {
        try (PreparedStatement ps = connection.prepareStatement("UPDATE lockstep.quarantine_replays SET done_at = now(), "
                + "loaded = 0, diverted = 0, superseded = 0, undecodable = 0, message = ? WHERE pipeline = ? AND "
                + "done_at IS NULL")) {
            ps.setString(1, cause.getMessage());
            ps.setString(2, pipeline);
            ps.executeUpdate();
            commit();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    /**
     * Decodes an undecodable record again and, when it now decodes, stages the change it holds and marks its ledger
     * row replayed; returns false when it still cannot be decoded.
     */
    private boolean replayUndecodable(EnvelopeCodec codec, long quarantineId, byte[] value, long offset)
            throws SQLException {
        GenericRecord record;
        try {
            record = codec.decode(value);
        } catch (UndecodableRecordException e) {
            return false;
        }
        if (ChangeSchemas.kindOf(record.getSchema()) == ChangeSchemas.Kind.CHANGE) {
            StreamPosition before = applied;
            stage(record, ChangeStreamReader.positionOf(record));
            applied = before; // an old change does not move where the stream resumes
        }
        try (PreparedStatement ps = connection.prepareStatement("UPDATE lockstep.quarantine SET status = 'replayed', "
                + "resolved_at = now(), relayed_at = NULL WHERE quarantine_id = ?")) {
            ps.setLong(1, quarantineId);
            ps.executeUpdate();
        }
        replayedUndecodable++;
        return true;
    }

    private void quarantineUndecodable() throws SQLException {
        if (undecodable.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = connection.prepareStatement("INSERT INTO lockstep.quarantine (pipeline, cause, "
                + "definition_version, reason, raw_record, kafka_topic, kafka_partition, kafka_offset) "
                + "VALUES (?, 'undecodable', ?, ?, ?, ?, 0, ?)")) {
            for (Object[] record : undecodable) {
                ps.setString(1, pipeline);
                ps.setInt(2, definitionVersion);
                ps.setString(3, (String) record[2]);
                ps.setBytes(4, (byte[]) record[1]);
                ps.setString(5, TopicNames.changes(pipeline));
                ps.setLong(6, (Long) record[0]);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private void storeOffsets() throws SQLException {
        if (storeOffsets == null) { // prepared once: every batch runs it
            storeOffsets = connection.prepareStatement("INSERT INTO lockstep.offsets (pipeline, topic, "
                    + "kafka_partition, next_offset, commit_lsn, sequence, source_commit_ts, definition_version, "
                    + "updated_at, high_commit_lsn, high_sequence) VALUES (?, ?, 0, ?, ?, ?, to_timestamp(? / 1e6), ?, "
                    + "now(), ?, ?) ON CONFLICT (pipeline) DO "
                    + "UPDATE SET next_offset = excluded.next_offset, commit_lsn = excluded.commit_lsn, "
                    + "sequence = excluded.sequence, source_commit_ts = excluded.source_commit_ts, "
                    + "high_commit_lsn = excluded.high_commit_lsn, high_sequence = excluded.high_sequence, "
                    + "definition_version = excluded.definition_version, updated_at = excluded.updated_at "
                    + "WHERE offsets.next_offset <= excluded.next_offset");
        }
        storeOffsets.setString(1, pipeline);
        storeOffsets.setString(2, TopicNames.changes(pipeline));
        storeOffsets.setLong(3, nextOffset);
        storeOffsets.setLong(4, applied.commitLsn());
        storeOffsets.setLong(5, applied.sequence());
        if (lastCommitMicros > 0) {
            storeOffsets.setDouble(6, lastCommitMicros);
        } else {
            storeOffsets.setNull(6, java.sql.Types.DOUBLE);
        }
        storeOffsets.setInt(7, definitionVersion);
        StreamPosition high = applied.isAfter(highWater) || highWater.commitLsn() == Long.MAX_VALUE ? applied
                : highWater;
        storeOffsets.setLong(8, high.commitLsn());
        storeOffsets.setLong(9, high.sequence());
        storeOffsets.executeUpdate();
    }

    /** Rolls the open batch back and refuses further batches: the next applier resumes from the last commit. */
    /**
     * Commits the open warehouse transaction, emptying first the work tables it filled (staging, and the star loader's
     * temporary tables; they keep their rows past a commit). Every commit after a write to them goes through here, so
     * no row of one transaction is seen by the next. Emptying is a {@code DELETE} (a few microseconds a row); after a
     * transaction of {@value #TRUNCATE_FROM_ROWS} rows or more, and every {@value #TRUNCATE_EVERY}th time, a
     * {@code TRUNCATE} instead gives the space of the deleted rows back (the planner sizes these tables, which have no
     * statistics, by their pages) — and, as it rebuilds their indexes, has the statements reading them planned again.
     */
    private void commit() throws SQLException {
        List<String> filled = new ArrayList<>(filledStages);
        filledStages.clear();
        if (star != null) {
            filled.addAll(star.drainFilledWorkTables());
        }
        if (!filled.isEmpty()) {
            boolean truncate = workRows >= TRUNCATE_FROM_ROWS || ++emptiedSinceTruncate >= TRUNCATE_EVERY;
            List<String> all = new ArrayList<>(new TreeSet<>(stagingNames.values()));
            if (star != null) {
                all.addAll(star.workTables());
            }
            String sql = truncate ? "TRUNCATE " + String.join(", ", all)
                    : filled.stream().map(t -> "DELETE FROM " + t).collect(Collectors.joining("; "));
            PreparedStatement empty = emptying.get(sql);
            if (empty == null) {
                if (emptying.size() >= EMPTYING_STATEMENTS) { // one per set of tables a batch fills: a few in practice
                    for (PreparedStatement statement : emptying.values()) {
                        statement.close();
                    }
                    emptying.clear();
                }
                empty = connection.prepareStatement(sql);
                emptying.put(sql, empty);
            }
            empty.execute();
            if (truncate) {
                emptiedSinceTruncate = 0;
            }
            workRows = 0;
        }
        connection.commit();
    }

    private void abandon(Exception cause) {
        failed = true;
        workRows = 0; // rolled back with the rest
        filledStages.clear();
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
