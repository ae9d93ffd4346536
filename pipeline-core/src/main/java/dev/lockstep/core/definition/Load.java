package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/** How the applier batches changes: a batch closes at {@code batchSize} changes or after {@code maxBatchLatency}. */
public record Load(int batchSize, Duration maxBatchLatency) {

    /** The batch size unless the definition says otherwise. */
    public static final int DEFAULT_BATCH_SIZE = 5000;

    /** The batch latency unless the definition says otherwise. */
    public static final Duration DEFAULT_MAX_BATCH_LATENCY = Duration.ofMillis(50);

    public Load {
        requireNonNull(maxBatchLatency, "maxBatchLatency");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive: " + batchSize);
        }
    }
}
