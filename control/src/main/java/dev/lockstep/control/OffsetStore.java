package dev.lockstep.control;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TopicNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.Optional;

/**
 * {@code lockstep.offsets}: one row per pipeline — the next offset of its changes topic, the source position the
 * warehouse reflects and the highest it ever reflected. The apply stage writes it in each batch's warehouse
 * transaction, so the warehouse and where the stream resumes never disagree; status, the aggregate checks and the
 * benchmarks read it. Both statements are prepared once on the store's connection. Not thread-safe.
 */
public final class OffsetStore {

    /**
     * Where a pipeline stands: {@code highWater} is empty when the row was recorded before the mark existed,
     * {@code sourceCommit} when no change carried a commit time.
     */
    public record Offsets(long nextOffset, StreamPosition applied, Optional<StreamPosition> highWater,
            Optional<Instant> sourceCommit, Instant updatedAt) {
        public Offsets {
            requireNonNull(applied, "applied");
            requireNonNull(highWater, "highWater");
            requireNonNull(sourceCommit, "sourceCommit");
            requireNonNull(updatedAt, "updatedAt");
        }
    }

    private final Connection connection;
    private final String pipeline;
    private PreparedStatement read;
    private PreparedStatement store;

    /** Returns the store of {@code pipeline}'s row, read and written through {@code connection}. */
    public OffsetStore(Connection connection, String pipeline) {
        this.connection = requireNonNull(connection, "connection");
        this.pipeline = requireNonNull(pipeline, "pipeline");
    }

    /** Returns where the pipeline stands; empty before its first batch. The control schema must exist. */
    public Optional<Offsets> read() throws SQLException {
        if (read == null) { // the benchmarks poll it
            read = connection.prepareStatement("SELECT next_offset, commit_lsn, sequence, high_commit_lsn, "
                    + "high_sequence, source_commit_ts, updated_at FROM lockstep.offsets WHERE pipeline = ?");
            read.setString(1, pipeline);
        }
        try (ResultSet rs = read.executeQuery()) {
            if (!rs.next()) {
                return Optional.empty();
            }
            long highLsn = rs.getLong(4);
            Optional<StreamPosition> high = rs.wasNull() ? Optional.empty()
                    : Optional.of(StreamPosition.of(highLsn, rs.getLong(5)));
            Timestamp commit = rs.getTimestamp(6);
            return Optional.of(new Offsets(rs.getLong(1), StreamPosition.of(rs.getLong(2), rs.getLong(3)), high,
                    Optional.ofNullable(commit).map(Timestamp::toInstant), rs.getTimestamp(7).toInstant()));
        }
    }

    /**
     * Returns what {@link #read()} does, and empty when the control schema does not exist (a warehouse never
     * deployed). For readers outside a transaction: in one, the failed statement would abort it.
     */
    public Optional<Offsets> readIfDeployed() throws SQLException {
        try {
            return read();
        } catch (SQLException e) {
            if (ControlSchema.isMissing(e)) {
                read = null;
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * Stores, in the connection's open transaction, {@code nextOffset}, {@code applied} with the source commit time
     * of its newest change ({@code lastCommitMicros}, 0: none), the high-water mark {@code high} and the definition
     * version that applied it. An older offset never overwrites a newer one.
     */
    public void store(long nextOffset, StreamPosition applied, long lastCommitMicros, StreamPosition high,
            int definitionVersion) throws SQLException {
        if (store == null) { // every batch runs it
            store = connection.prepareStatement("INSERT INTO lockstep.offsets (pipeline, topic, "
                    + "kafka_partition, next_offset, commit_lsn, sequence, source_commit_ts, definition_version, "
                    + "updated_at, high_commit_lsn, high_sequence) VALUES (?, ?, 0, ?, ?, ?, to_timestamp(? / 1e6), ?, "
                    + "now(), ?, ?) ON CONFLICT (pipeline) DO "
                    + "UPDATE SET next_offset = excluded.next_offset, commit_lsn = excluded.commit_lsn, "
                    + "sequence = excluded.sequence, source_commit_ts = excluded.source_commit_ts, "
                    + "high_commit_lsn = excluded.high_commit_lsn, high_sequence = excluded.high_sequence, "
                    + "definition_version = excluded.definition_version, updated_at = excluded.updated_at "
                    + "WHERE offsets.next_offset <= excluded.next_offset");
            store.setString(1, pipeline);
            store.setString(2, TopicNames.changes(pipeline));
        }
        store.setLong(3, nextOffset);
        store.setLong(4, applied.commitLsn());
        store.setLong(5, applied.sequence());
        if (lastCommitMicros > 0) {
            store.setDouble(6, lastCommitMicros);
        } else {
            store.setNull(6, Types.DOUBLE);
        }
        store.setInt(7, definitionVersion);
        store.setLong(8, high.commitLsn());
        store.setLong(9, high.sequence());
        store.executeUpdate();
    }
}
