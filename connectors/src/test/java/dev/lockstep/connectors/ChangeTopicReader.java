package dev.lockstep.connectors;

import dev.lockstep.core.envelope.ChangeSchemas;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TopicNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads a pipeline's changes topic as a read_committed consumer would, decoding every record. */
final class ChangeTopicReader implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaSchemaStore store;
    private final EnvelopeCodec codec;
    private final TopicPartition partition;
    private final List<GenericRecord> records = new ArrayList<>();

    ChangeTopicReader(String bootstrapServers, String pipeline) {
        partition = new TopicPartition(TopicNames.changes(pipeline), 0);
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000));
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        store = KafkaSchemaStore.open(bootstrapServers);
        codec = new EnvelopeCodec(store);
    }

    /** Reads what is committed now and returns everything read so far. */
    List<GenericRecord> poll() {
        drain(records::add);
        return records;
    }

    /** Reads what is committed now, handing each new record to {@code sink} without keeping it. */
    long drain(java.util.function.Consumer<GenericRecord> sink) {
        long read = 0;
        long end = consumer.endOffsets(List.of(partition)).get(partition);
        while (consumer.position(partition) < end) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                sink.accept(codec.decode(r.value()));
                read++;
            }
        }
        return read;
    }

    /** Returns only the change envelopes read so far. */
    List<GenericRecord> changes() {
        return poll().stream().filter(r -> ChangeSchemas.kindOf(r.getSchema()) == ChangeSchemas.Kind.CHANGE).toList();
    }

    static StreamPosition position(GenericRecord record) {
        GenericRecord p = (GenericRecord) record.get("position");
        return StreamPosition.of((Long) p.get("commit_lsn"), (Long) p.get("sequence"));
    }

    @Override
    public void close() {
        consumer.close();
        store.close();
    }
}
