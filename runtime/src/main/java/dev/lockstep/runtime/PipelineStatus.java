package dev.lockstep.runtime;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.control.OffsetStore;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.WarehousePostgres;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TopicNames;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** Where each stage of a pipeline stands, read from the source, the changes topic and the warehouse's control schema. */
public final class PipelineStatus {

    /** The apply stage's stored position: the next offset of the changes topic, and what it reflects. */
    public record Applied(long nextOffset, StreamPosition position, Optional<Instant> sourceCommit,
            Instant updatedAt) {}

    /** One look at the pipeline's stages. */
    public record Positions(PostgresCdcSource.SourcePosition source, long topicEnd, Optional<Applied> applied) {

        /** Returns how many records of the changes topic are not applied yet. */
        public long recordsBehind() {
            return Math.max(0, topicEnd - applied.map(Applied::nextOffset).orElse(0L));
        }
    }

    /** The outcome of waiting for the warehouse to reach a source position. */
    public record CatchUp(boolean reached, long targetLsn, Positions last) {
        public String describe() {
            PostgresCdcSource.SourcePosition source = last.source();
            String extract = source.confirmedLsn() < 0 ? "the pipeline has no replication slot (the extract never ran, "
                    + "or was undeployed)" : String.format("extract confirmed %s (%s%s)",
                            StreamPosition.formatLsn(source.confirmedLsn()), source.confirmedLsn() >= targetLsn
                                    ? "past the target" : String.format("%,d bytes of WAL before the target",
                                            targetLsn - source.confirmedLsn()), source.slotActive() ? ""
                                                    : ", extract not running");
            return String.format("target %s; %s; apply %s, %,d records of %s behind", StreamPosition.formatLsn(
                    targetLsn), extract, last.applied().map(a -> "through " + a.position()).orElse("never ran"),
                    last.recordsBehind(), "the changes topic");
        }
    }

    private PipelineStatus() {}

    /** Reads where the stages of {@code definition} stand. */
    public static Positions positions(PipelineDefinition definition, ExtractSettings settings) {
        return new Positions(PostgresCdcSource.position(settings), topicEnd(settings), applied(definition));
    }

    /**
     * Waits until the warehouse reflects every source transaction committed before {@code targetLsn}: the slot
     * confirmed past it (so the changes topic holds all of them — a heartbeat is written to move a quiet source
     * along), then the apply stage's next offset reached the topic's end. Gives up after {@code timeout}.
     */
    public static CatchUp awaitCaughtUp(PipelineDefinition definition, ExtractSettings settings, long targetLsn,
            Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long lastBeat = 0;
        long topicTarget = -1; // the topic's end once the slot confirmed past the target: the apply must reach it
        while (true) {
            Positions positions = positions(definition, settings);
            PostgresCdcSource.SourcePosition source = positions.source();
            if (topicTarget < 0 && source.confirmedLsn() >= targetLsn) {
                topicTarget = positions.topicEnd();
            }
            long applied = positions.applied().map(Applied::nextOffset).orElse(-1L);
            if (topicTarget >= 0 && applied >= topicTarget) {
                return new CatchUp(true, targetLsn, positions);
            }
            if (System.nanoTime() > deadline) {
                return new CatchUp(false, targetLsn, positions);
            }
            if (source.confirmedLsn() >= 0 && source.confirmedLsn() < targetLsn && source.slotActive()
                    && System.nanoTime() - lastBeat > 1_000_000_000L) {
                PostgresCdcSource.beat(settings); // a quiet source: give the extract something to confirm
                lastBeat = System.nanoTime();
            }
            TimeUnit.MILLISECONDS.sleep(200); // polling other processes' progress, not a test wait
        }
    }

    /** Returns the end of the changes topic (its last stable offset), 0 when it does not exist yet. */
    public static long topicEnd(ExtractSettings settings) {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        TopicPartition partition = new TopicPartition(TopicNames.changes(settings.pipeline()), 0);
        try (Admin admin = Admin.create(properties)) {
            ListOffsetsResult result = admin.listOffsets(Map.of(partition, OffsetSpec.latest()),
                    new ListOffsetsOptions(IsolationLevel.READ_COMMITTED));
            return result.partitionResult(partition).get(10, TimeUnit.SECONDS).offset();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return 0;
            }
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot read the end of " + partition.topic() + " at "
                    + settings.bootstrapServers() + ": " + e.getCause(), e);
        } catch (TimeoutException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "Kafka at " + settings.bootstrapServers()
                    + " did not answer within 10 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LockstepException(ErrorCode.UNAVAILABLE, "interrupted", e);
        }
    }

    /** Returns the apply stage's stored position, empty when it never committed a batch. */
    public static Optional<Applied> applied(PipelineDefinition definition) {
        try (Connection c = connect(definition.warehouse().postgres())) {
            return new OffsetStore(c, definition.pipeline()).readIfDeployed().map(offsets -> new Applied(
                    offsets.nextOffset(), offsets.applied(), offsets.sourceCommit(), offsets.updatedAt()));
        } catch (SQLException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot read the applied position of pipeline "
                    + definition.pipeline() + ": " + e.getMessage(), e);
        }
    }

    public static Connection connect(WarehousePostgres warehouse) throws SQLException {
        return PostgresConnections.open(warehouse, "lockstep status");
    }

}
