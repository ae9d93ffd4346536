package dev.lockstep.core.kafka;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates Lockstep's topics with deliberate settings, replicated as far as the cluster allows (up to 3). */
public final class Topics {

    private Topics() {}

    /**
     * Creates {@code topic} unless it exists, with up to 3 replicas and {@code min.insync.replicas=2} when it has 3;
     * an existing topic is left as it is.
     */
    public static void ensure(Admin admin, String topic, int partitions, Map<String, String> configs) {
        try {
            int brokers = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size();
            short replication = (short) Math.max(1, Math.min(3, brokers));
            Map<String, String> all = new java.util.HashMap<>(configs);
            if (replication >= 3) {
                // A committed transaction must survive the loss of a broker: acks=all then means two copies.
                all.putIfAbsent("min.insync.replicas", "2");
            }
            admin.createTopics(List.of(new NewTopic(topic, partitions, replication).configs(all)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new LockstepException(ErrorCode.UNAVAILABLE,
                        "cannot create Kafka topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "Kafka did not answer creating topic " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LockstepException(ErrorCode.UNAVAILABLE, "interrupted creating topic " + topic, e);
        }
    }
}
