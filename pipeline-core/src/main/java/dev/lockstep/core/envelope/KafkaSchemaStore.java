package dev.lockstep.core.envelope;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.kafka.Topics;
import dev.lockstep.core.stream.TopicNames;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schema store on Kafka: the compacted topic {@value TopicNames#SCHEMAS}, keyed by fingerprint (16 hex
 * digits), valued by the schema's JSON. Writers add a schema in the same Kafka transaction as the first record
 * written with it, so a reader that sees the record can always find its schema. Thread-safe.
 */
public final class KafkaSchemaStore implements SchemaStore, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaSchemaStore.class);
    private static final TopicPartition PARTITION = new TopicPartition(TopicNames.SCHEMAS, 0);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<Long, Schema> schemas = new ConcurrentHashMap<>();

    private KafkaSchemaStore(KafkaConsumer<byte[], byte[]> consumer) {
        this.consumer = consumer;
    }

    /** Creates the topic when missing, then reads every schema registered so far. */
    public static KafkaSchemaStore open(String bootstrapServers) {
        ensureTopic(bootstrapServers);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                // Entries are content-addressed, so an uncommitted one is harmless; reading committed only would
                // hide every pipeline's new schemas behind any one pipeline's open transaction.
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
        consumer.assign(List.of(PARTITION));
        consumer.seekToBeginning(List.of(PARTITION));
        KafkaSchemaStore store = new KafkaSchemaStore(consumer);
        store.refresh();
        return store;
    }

    /** Creates {@value TopicNames#SCHEMAS} (compacted, one partition) unless it exists. */
    public static void ensureTopic(String bootstrapServers) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            Topics.ensure(admin, TopicNames.SCHEMAS, 1, Map.of("cleanup.policy", "compact",
                    "min.compaction.lag.ms", "0"));
        }
    }

    /** Returns the record that registers {@code schema}; send it in the transaction that first uses the schema. */
    public static ProducerRecord<byte[], byte[]> registration(Schema schema) {
        String key = String.format("%016x", EnvelopeCodec.fingerprint(schema));
        return new ProducerRecord<>(TopicNames.SCHEMAS, 0, key.getBytes(StandardCharsets.UTF_8),
                schema.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public Schema findByFingerprint(long fingerprint) {
        Schema schema = schemas.get(fingerprint);
        if (schema == null) {
            refresh();
            schema = schemas.get(fingerprint);
        }
        return schema;
    }

    /** Adds a schema this process wrote, so that it need not read it back. */
    public void remember(Schema schema) {
        schemas.put(EnvelopeCodec.fingerprint(schema), schema);
    }

    /** Returns every schema known so far. */
    public Collection<Schema> all() {
        return List.copyOf(schemas.values());
    }

    /** Reads the topic up to its current end. */
    public synchronized void refresh() {
        try {
            long end = consumer.endOffsets(List.of(PARTITION), CATCH_UP_TIMEOUT).get(PARTITION);
            long deadline = System.nanoTime() + CATCH_UP_TIMEOUT.toNanos();
            while (consumer.position(PARTITION, CATCH_UP_TIMEOUT) < end) {
                if (System.nanoTime() > deadline) {
                    throw new LockstepException(ErrorCode.UNAVAILABLE,
                            "timed out reading the schema store " + TopicNames.SCHEMAS);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                    add(record);
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot read the schema store: " + e.getMessage(), e);
        }
    }

    private void add(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            return;
        }
        try {
            Schema schema = new Schema.Parser().parse(new String(record.value(), StandardCharsets.UTF_8));
            schemas.put(EnvelopeCodec.fingerprint(schema), schema);
        } catch (SchemaParseException e) {
            LOG.warn("Ignoring unreadable schema at {}@{}: {}", TopicNames.SCHEMAS, record.offset(), e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
