package dev.lockstep.connectors.internal;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * Debezium's offset store for the extract: starts from the offsets committed in the offsets topic (read
 * committed), and keeps later offsets in memory only.
 *
 * <p>The durable copy is written by the extract itself, inside the Kafka transaction that carries the changes
 * (see {@link OffsetsTopic}); Debezium's own flushes land here after that transaction committed, and only then
 * does Debezium confirm the LSN to the replication slot. Every offset Debezium reads back, at start or when its
 * task restarts in-process, goes through {@link ResumeOffset}.
 */
public final class LockstepOffsetBackingStore extends MemoryOffsetBackingStore {

    /** Engine property: the offsets topic. */
    public static final String TOPIC = "lockstep.offsets.topic";
    /** Engine property: the Kafka bootstrap servers. */
    public static final String BOOTSTRAP = "lockstep.offsets.bootstrap.servers";

    private final JsonConverter json = new JsonConverter();
    private String topic;
    private String bootstrapServers;

    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
        json.configure(Map.of("schemas.enable", "false", "converter.type", "value"), false);
        Map<String, Object> originals = config.originals();
        topic = (String) originals.get(TOPIC);
        bootstrapServers = (String) originals.get(BOOTSTRAP);
        if (topic == null || bootstrapServers == null) {
            throw new IllegalStateException(TOPIC + " and " + BOOTSTRAP + " must be set");
        }
    }

    @Override
    public synchronized void start() {
        super.start();
        for (Map.Entry<ByteBuffer, ByteBuffer> entry : OffsetsTopic.readAll(bootstrapServers, topic).entrySet()) {
            if (!OffsetsTopic.isLockstepKey(entry.getKey())) {
                data.put(entry.getKey(), entry.getValue());
            }
        }
    }

    @Override
    public synchronized Future<Map<ByteBuffer, ByteBuffer>> get(Collection<ByteBuffer> keys) {
        Map<ByteBuffer, ByteBuffer> offsets = new HashMap<>();
        for (ByteBuffer key : keys) {
            ByteBuffer stored = data.get(key);
            offsets.put(key, stored == null ? null : resumeFrom(stored));
        }
        return CompletableFuture.completedFuture(offsets);
    }

    private ByteBuffer resumeFrom(ByteBuffer stored) {
        byte[] bytes = new byte[stored.remaining()];
        stored.duplicate().get(bytes);
        if (!(json.toConnectData(topic, bytes).value() instanceof Map<?, ?> offset)) {
            return stored;
        }
        @SuppressWarnings("unchecked")
        Map<String, ?> typed = (Map<String, ?>) offset;
        return ByteBuffer.wrap(json.fromConnectData(topic, null, ResumeOffset.of(typed)));
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return Set.of();
    }
}
