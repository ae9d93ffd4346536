package dev.lockstep.quality.alert;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.stream.TopicNames;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes alerts to a Kafka topic ({@value TopicNames#ALERTS} by default) as structured-mode CloudEvents JSON, with
 * the header {@code content-type: application/cloudevents+json}. The producer is idempotent with {@code acks=all};
 * {@link #publish} waits for every acknowledgement and throws {@link LockstepException} ({@code UNAVAILABLE}) when
 * one is missing, so the caller retries: at-least-once. Records are keyed {@code <pipeline>/<rule>} (or
 * {@code <pipeline>} for an alert without a rule), which keeps one rule's events in one partition, in order.
 */
public final class KafkaAlertSink implements AlertSink {

    /** The header that marks a structured-mode CloudEvent (CloudEvents Kafka protocol binding). */
    public static final String CONTENT_TYPE_HEADER = "content-type";

    private final Producer<String, byte[]> producer;
    private final String topic;
    private final Duration timeout;
    private boolean closed;

    KafkaAlertSink(Producer<String, byte[]> producer, String topic, Duration timeout) {
        this.producer = requireNonNull(producer, "producer");
        this.topic = requireNonNull(topic, "topic");
        this.timeout = requireNonNull(timeout, "timeout");
    }

    /** Returns a builder; {@code bootstrapServers} is required. */
    public static Builder builder() {
        return new Builder(null, TopicNames.ALERTS, Duration.ofSeconds(30), Map.of());
    }

    /** Returns the record key of {@code alert}: {@code <pipeline>/<rule>}, or {@code <pipeline>}. */
    public static String key(Alert alert) {
        return alert.rule() == null ? alert.pipeline() : alert.pipeline() + "/" + alert.rule();
    }

    @Override
    public void publish(List<Alert> alerts) {
        if (closed) {
            throw new IllegalStateException("KafkaAlertSink is closed");
        }
        List<Future<RecordMetadata>> sent = new ArrayList<>(alerts.size());
        try {
            for (Alert alert : alerts) {
                ProducerRecord<String, byte[]> record =
                        new ProducerRecord<>(topic, key(alert), AlertEvents.serialize(alert));
                record.headers().add(CONTENT_TYPE_HEADER,
                        AlertEvents.CONTENT_TYPE.getBytes(StandardCharsets.UTF_8));
                sent.add(producer.send(record));
            }
            producer.flush();
            long deadline = System.nanoTime() + timeout.toNanos();
            for (Future<RecordMetadata> ack : sent) {
                ack.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (ExecutionException e) {
            throw unavailable("Kafka refused an alert: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw unavailable("Kafka did not acknowledge " + alerts.size() + " alerts within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted while publishing alerts", e);
        } catch (org.apache.kafka.common.KafkaException e) {
            throw unavailable("cannot publish alerts: " + e.getMessage(), e);
        }
    }

    private LockstepException unavailable(String message, Throwable cause) {
        return new LockstepException(ErrorCode.UNAVAILABLE, message + " (topic " + topic + ")", cause);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            producer.close(timeout);
        }
    }

    /** Configures a {@link KafkaAlertSink}; {@code with*} methods return a copy. */
    public static final class Builder {

        private final String bootstrapServers;
        private final String topic;
        private final Duration timeout;
        private final Map<String, Object> properties;

        private Builder(String bootstrapServers, String topic, Duration timeout, Map<String, Object> properties) {
            this.bootstrapServers = bootstrapServers;
            this.topic = topic;
            this.timeout = timeout;
            this.properties = Map.copyOf(properties);
        }

        /** Kafka's {@code bootstrap.servers}; required. */
        public Builder withBootstrapServers(String servers) {
            return new Builder(requireNonNull(servers, "servers"), topic, timeout, properties);
        }

        /** The topic; {@value TopicNames#ALERTS} unless set. */
        public Builder withTopic(String name) {
            return new Builder(bootstrapServers, requireNonNull(name, "topic"), timeout, properties);
        }

        /** How long {@link #publish} waits for acknowledgements (and {@code close} for the producer); 30 s. */
        public Builder withTimeout(Duration limit) {
            if (limit.isNegative() || limit.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + limit);
            }
            return new Builder(bootstrapServers, topic, limit, properties);
        }

        /** An extra producer property (security settings, client id); cannot weaken idempotence or acks. */
        public Builder withProperty(String key, Object value) {
            Map<String, Object> next = new HashMap<>(properties);
            next.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
            return new Builder(bootstrapServers, topic, timeout, next);
        }

        /** Creates the sink and its producer; throws naming what is missing. */
        public KafkaAlertSink build() {
            if (bootstrapServers == null) {
                throw new IllegalStateException("KafkaAlertSink needs bootstrapServers");
            }
            Map<String, Object> config = new HashMap<>(properties);
            config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            config.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
            config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
            config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
            config.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "lockstep-alerts");
            int deliveryMs = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
            config.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(deliveryMs, 30_000));
            config.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                    Math.max(deliveryMs, Math.min(deliveryMs, 30_000) + 5));
            Producer<String, byte[]> producer =
                    new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
            return new KafkaAlertSink(producer, topic, timeout);
        }
    }
}
