package dev.lockstep.connectors.internal;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.FailPoint;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.stream.TableId;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The extract's transactional producer: every write is one Kafka transaction holding the stream records, the
 * schema registrations they need, and the source offsets that cover them. Not thread-safe.
 */
public final class StreamTransactions implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;
    private final OffsetsTopic offsets;
    private final String pipeline;
    private Metric retries;
    private long retriesSeen;

    /** Opens the producer and fences any earlier instance of this pipeline's extract. */
    public StreamTransactions(String pipeline, String bootstrapServers, int maxMessageBytes, OffsetsTopic offsets) {
        this.pipeline = pipeline;
        this.offsets = offsets;
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "lockstep-extract-" + pipeline);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxMessageBytes);
        // Long enough for a very large source transaction; the broker caps it (transaction.max.timeout.ms, 15 min).
        config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 600_000);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        this.producer = new KafkaProducer<>(config);
        try {
            producer.initTransactions();
        } catch (KafkaException e) {
            producer.close();
            throw new LockstepException(ErrorCode.UNAVAILABLE,
                    "cannot start the extract's Kafka transactions for pipeline " + pipeline + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code records}, then the source offset (and, when given, the catalog fingerprints), and commits.
     * A failure aborts the whole transaction: nothing of it becomes visible.
     */
    public void write(Consumer<Consumer<ProducerRecord<byte[], byte[]>>> records, Map<String, ?> partition,
            Map<String, ?> offset, Map<TableId, String> catalog) {
        try {
            producer.beginTransaction();
            records.accept(producer::send);
            producer.send(offsets.offsetRecord(partition, offset));
            if (catalog != null) {
                producer.send(offsets.lockstepRecord(OffsetsTopic.CATALOG_KEY, catalogText(catalog)));
            }
            producer.flush();
            FailPoint.check(FailPoint.BEFORE_KAFKA_COMMIT);
            producer.commitTransaction();
        } catch (ProducerFencedException e) {
            throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "another extract of pipeline " + pipeline
                    + " took over (this one was fenced); stopping", e);
        } catch (KafkaException | IllegalStateException e) {
            try {
                producer.abortTransaction();
            } catch (KafkaException | IllegalStateException abortFailed) {
                // e.g. after a commit that timed out, Kafka refuses an abort: the next extract's producer fences
                // this one, which aborts the open transaction on the broker.
                e.addSuppressed(abortFailed);
            }
            throw new LockstepException(ErrorCode.UNAVAILABLE,
                    "writing to Kafka failed for pipeline " + pipeline + ": " + e.getMessage(), e);
        }
    }

    /** Returns how many record batches the producer sent again since the last call. Not thread-safe. */
    public long newRetries() {
        long total = retries();
        long fresh = total - retriesSeen;
        retriesSeen = total;
        return fresh;
    }

    private long retries() {
        if (retries == null) {
            for (Map.Entry<MetricName, ? extends Metric> metric : producer.metrics().entrySet()) {
                if (metric.getKey().name().equals("record-retry-total")
                        && metric.getKey().group().equals("producer-metrics")) {
                    retries = metric.getValue();
                }
            }
        }
        return retries == null ? 0 : ((Number) retries.metricValue()).longValue();
    }

    /** Writes only the catalog fingerprints, e.g. after the operator accepted a schema change. */
    public void writeCatalog(Map<TableId, String> catalog) {
        try {
            producer.beginTransaction();
            producer.send(offsets.lockstepRecord(OffsetsTopic.CATALOG_KEY, catalogText(catalog)));
            producer.commitTransaction();
        } catch (KafkaException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot record the accepted columns for pipeline "
                    + pipeline + ": " + e.getMessage(), e);
        }
    }

    static String catalogText(Map<TableId, String> catalog) {
        Properties properties = new Properties();
        catalog.forEach((table, fingerprint) -> properties.setProperty(table.toString(), fingerprint));
        StringWriter out = new StringWriter();
        try {
            properties.store(out, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    static Map<TableId, String> parseCatalog(String text) {
        Properties properties = new Properties();
        try {
            properties.load(new java.io.StringReader(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<TableId, String> out = new HashMap<>();
        properties.forEach((k, v) -> out.put(TableId.parse((String) k), (String) v));
        return out;
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(5)); // bounded: the broker may be the reason we stop
    }
}
