package dev.lockstep.connectors.internal;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * The extract's offsets topic ({@code lockstep.<pipeline>.extract-offsets}, compacted, one partition).
 *
 * <p>It holds Debezium's source offsets, serialised exactly as Debezium's offset writer would serialise them
 * (so that the engine reads them back unchanged), and Lockstep's own keys starting with {@value #LOCKSTEP_KEY}.
 * Offsets are written in the same Kafka transaction as the changes they cover, so the stream and the
 * position it resumes from can never disagree.
 */
public final class OffsetsTopic {

    /** Prefix of Lockstep's own keys in the topic. */
    static final String LOCKSTEP_KEY = "lockstep:";
    /** The key of the catalog fingerprints of the source tables, as of the last committed transaction. */
    public static final String CATALOG_KEY = LOCKSTEP_KEY + "catalog";

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final String topic;
    private final String engineName;
    private final JsonConverter converter = new JsonConverter();

    public OffsetsTopic(String topic, String engineName) {
        this.topic = topic;
        this.engineName = engineName;
        converter.configure(Map.of("schemas.enable", "false", "converter.type", "key"), true);
    }

    /** Returns the topic's name. */
    public String topic() {
        return topic;
    }

    /** Returns the record storing Debezium's {@code offset} for {@code partition}. */
    public ProducerRecord<byte[], byte[]> offsetRecord(Map<String, ?> partition, Map<String, ?> offset) {
        byte[] key = converter.fromConnectData(engineName, null, Arrays.asList(engineName, partition));
        byte[] value = converter.fromConnectData(engineName, null, offset);
        return new ProducerRecord<>(topic, 0, key, value);
    }

    /** Returns the record storing one of Lockstep's own values. */
    public ProducerRecord<byte[], byte[]> lockstepRecord(String key, String value) {
        return new ProducerRecord<>(topic, 0, key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads the committed contents of the topic: the newest value of every key. */
    public static Map<ByteBuffer, ByteBuffer> readAll(String bootstrapServers, String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        Map<ByteBuffer, ByteBuffer> latest = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (consumer.position(partition, TIMEOUT) < end) {
                if (System.nanoTime() > deadline) {
                    throw new LockstepException(ErrorCode.UNAVAILABLE, "timed out reading " + topic);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        latest.remove(ByteBuffer.wrap(r.key()));
                    } else {
                        latest.put(ByteBuffer.wrap(r.key()), ByteBuffer.wrap(r.value()));
                    }
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "cannot read " + topic + ": " + e.getMessage(), e);
        }
        return latest;
    }

    /** Returns true when a key of the topic is one of Lockstep's own, not Debezium's. */
    static boolean isLockstepKey(ByteBuffer key) {
        byte[] prefix = LOCKSTEP_KEY.getBytes(StandardCharsets.UTF_8);
        if (key.remaining() < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (key.get(key.position() + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Returns the value of one of Lockstep's keys in a map read by {@link #readAll}, or null. */
    public static String lockstepValue(Map<ByteBuffer, ByteBuffer> contents, String key) {
        ByteBuffer value = contents.get(ByteBuffer.wrap(key.getBytes(StandardCharsets.UTF_8)));
        if (value == null) {
            return null;
        }
        byte[] bytes = new byte[value.remaining()];
        value.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
