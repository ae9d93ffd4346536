package dev.lockstep.connectors.internal;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * Debezium's offset store for the extract: starts from the offsets committed in the offsets topic (read
 * committed), and keeps later offsets in memory only.
 *
 * <p>The durable copy is written by the extract itself, inside the Kafka transaction that carries the changes
 * (see {@link OffsetsTopic}); Debezium's own flushes land here after that transaction committed, and only then
 * does Debezium confirm the LSN to the replication slot.
 */
public final class LockstepOffsetBackingStore extends MemoryOffsetBackingStore {

    /** Engine property: the offsets topic. */
    public static final String TOPIC = "lockstep.offsets.topic";
    /** Engine property: the Kafka bootstrap servers. */
    public static final String BOOTSTRAP = "lockstep.offsets.bootstrap.servers";

    private String topic;
    private String bootstrapServers;

    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
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
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return Set.of();
    }
}
