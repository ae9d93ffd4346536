package dev.lockstep.warehouse.apply;

import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TopicNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;

/**
 * Step 6 of the apply transaction: the pipeline's row of {@code lockstep.offsets} — the next offset of the changes
 * topic, the position the warehouse reflects and the highest it ever reflected — written in the batch's transaction,
 * so the warehouse and where the stream resumes never disagree. The statement is prepared once.
 */
final class AppliedOffsets {

    /** Where a pipeline stands: {@code highWater} is above every position when no batch recorded it yet. */
    record Stored(long nextOffset, StreamPosition applied, StreamPosition highWater) {}

    private final Connection connection;
    private final String pipeline;
    private final int definitionVersion;
    private PreparedStatement store;

    AppliedOffsets(Connection connection, String pipeline, int definitionVersion) {
        this.connection = connection;
        this.pipeline = pipeline;
        this.definitionVersion = definitionVersion;
    }

    /** Reads where the pipeline stands (offset 0 and position zero before its first batch). */
    Stored read() throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT next_offset, commit_lsn, sequence, "
                + "high_commit_lsn, high_sequence FROM lockstep.offsets WHERE pipeline = ?")) {
            ps.setString(1, pipeline);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new Stored(0, StreamPosition.ZERO, StreamPosition.ZERO);
                }
                long highLsn = rs.getLong(4);
                // Recorded before the mark existed: the replay guard runs until a batch records it.
                StreamPosition high = rs.wasNull() ? StreamPosition.of(Long.MAX_VALUE, Long.MAX_VALUE)
                        : StreamPosition.of(highLsn, rs.getLong(5));
                return new Stored(rs.getLong(1), StreamPosition.of(rs.getLong(2), rs.getLong(3)), high);
            }
        }
    }

    /**
     * Stores, in the open transaction, {@code nextOffset}, {@code applied} with the source commit time of its
     * newest change ({@code lastCommitMicros}, 0: none) and the high-water mark {@code high}; an older offset never
     * overwrites a newer one.
     */
    void store(long nextOffset, StreamPosition applied, long lastCommitMicros, StreamPosition high)
            throws SQLException {
        if (store == null) { // prepared once: every batch runs it
            store = connection.prepareStatement("INSERT INTO lockstep.offsets (pipeline, topic, "
                    + "kafka_partition, next_offset, commit_lsn, sequence, source_commit_ts, definition_version, "
                    + "updated_at, high_commit_lsn, high_sequence) VALUES (?, ?, 0, ?, ?, ?, to_timestamp(? / 1e6), ?, "
                    + "now(), ?, ?) ON CONFLICT (pipeline) DO "
                    + "UPDATE SET next_offset = excluded.next_offset, commit_lsn = excluded.commit_lsn, "
                    + "sequence = excluded.sequence, source_commit_ts = excluded.source_commit_ts, "
                    + "high_commit_lsn = excluded.high_commit_lsn, high_sequence = excluded.high_sequence, "
                    + "definition_version = excluded.definition_version, updated_at = excluded.updated_at "
                    + "WHERE offsets.next_offset <= excluded.next_offset");
        }
        store.setString(1, pipeline);
        store.setString(2, TopicNames.changes(pipeline));
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
