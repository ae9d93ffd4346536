package dev.lockstep.runtime;

import dev.lockstep.control.AlertStore;
import dev.lockstep.control.QuarantineStore;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.definition.Secret;
import dev.lockstep.core.definition.WarehousePostgres;
import dev.lockstep.core.kafka.Topics;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.quality.QualityMetrics;
import dev.lockstep.quality.alert.Alert;
import dev.lockstep.quality.alert.AlertData;
import dev.lockstep.quality.alert.AlertSink;
import dev.lockstep.quality.alert.KafkaAlertSink;
import dev.lockstep.quality.alert.WebhookAlertSink;
import dev.lockstep.warehouse.star.StarSchema;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alert side of a running apply stage, on a worker thread of its own with its own warehouse connection, so that
 * nothing slow or remote runs on the apply thread: every half second it runs the aggregate rules that are due,
 * resolves open alerts whose rule has been quiet for its {@code resolve_after}, relays pending outbox events to
 * {@code lockstep.alerts} and the definition's webhooks, and relays the quarantine ledger to
 * {@code lockstep.<pipeline>.quarantine}. It writes only the control schema (outbox and relay marks), never the
 * star schema: the {@code references} rules, which do, run on the apply thread at its control point.
 * A sink that fails leaves the events pending: they go out with a later tick (at-least-once). An aggregate rule
 * with {@code on_fail: fail} that fails is kept as {@link #failure()}: the apply stage stops before its next batch
 * commits.
 */
public final class Alerting implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Alerting.class);
    private static final Duration EVERY = Duration.ofMillis(500);

    private final Connection connection;
    private final AlertStore outbox;
    private final Map<String, QualityRule> rules;
    private final List<AlertSink> sinks;
    private final AggregateChecks aggregates;
    private final QuarantineStore quarantine;
    private final KafkaProducer<String, String> quarantineProducer;
    private final String quarantineTopic;
    private final String pipeline;
    private final ScheduledExecutorService worker;
    private volatile LockstepException failure;
    private QualityMetrics metrics;

    private Alerting(Connection connection, AlertStore outbox, Map<String, QualityRule> rules, List<AlertSink> sinks,
            AggregateChecks aggregates, String pipeline, KafkaProducer<String, String> quarantineProducer) {
        this.aggregates = aggregates;
        this.pipeline = pipeline;
        this.quarantine = new QuarantineStore(connection, pipeline);
        this.quarantineProducer = quarantineProducer;
        this.quarantineTopic = TopicNames.quarantine(pipeline);
        this.metrics = new QualityMetrics(pipeline);
        this.connection = connection;
        this.outbox = outbox;
        this.rules = rules;
        this.sinks = sinks;
        this.worker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "lockstep-alerting-" + pipeline);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Starts the worker: a tick every half second until {@link #close()} or a {@code fail} outcome. */
    Alerting start() {
        worker.scheduleWithFixedDelay(() -> {
            try {
                tick();
            } catch (LockstepException e) {
                failure = e;
                worker.shutdown(); // stopped: the apply stage raises it before its next commit
            } catch (RuntimeException e) {
                LOG.warn("Alerting tick failed, trying again: {}", e.getMessage(), e);
            }
        }, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * Keeps the aggregate rules' schedule of {@code before}, the alerting of the version a deployment switched from,
     * for the rules this version has unchanged ({@link AggregateChecks#continueFrom}); call it before {@link #start}.
     */
    Alerting continueFrom(Alerting before) {
        aggregates.continueFrom(before.aggregates);
        return this;
    }

    /** Returns the failure of an aggregate rule with {@code on_fail: fail}, once one failed. */
    Optional<LockstepException> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * Opens the alerting of {@code definition} (star schema {@code star}), relaying to Kafka at
     * {@code bootstrapServers} and to its webhooks.
     */
    public static Alerting open(PipelineDefinition definition, StarSchema star, String bootstrapServers)
            throws SQLException {
        WarehousePostgres warehouse = definition.warehouse().postgres();
        Connection connection = PostgresConnections.open(warehouse, "lockstep alerting " + definition.pipeline());
        connection.setAutoCommit(false);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            // Shared by every pipeline; keyed by pipeline and rule, so one rule's events stay in order.
            Topics.ensure(admin, TopicNames.ALERTS, 3, Map.of("retention.ms", String.valueOf(Duration.ofDays(30)
                    .toMillis())));
            Topics.ensure(admin, TopicNames.quarantine(definition.pipeline()), 1, Map.of("retention.ms",
                    String.valueOf(Duration.ofDays(30).toMillis())));
        }
        List<AlertSink> sinks = new ArrayList<>();
        sinks.add(KafkaAlertSink.builder().withBootstrapServers(bootstrapServers).build());
        if (!definition.alerts().webhooks().isEmpty()) {
            WebhookAlertSink.Builder webhooks = WebhookAlertSink.builder()
                    .withMinSeverity(definition.alerts().minSeverity());
            for (Secret url : definition.alerts().webhooks()) {
                webhooks = webhooks.withUrl(url.reveal()); // a builder's with* returns a copy
            }
            sinks.add(webhooks.build());
        }
        Properties producer = new Properties();
        producer.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producer.put(ProducerConfig.ACKS_CONFIG, "all");
        producer.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        producer.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return new Alerting(connection, new AlertStore(definition.pipeline()), definition.quality().stream()
                .collect(Collectors.toMap(QualityRule::name, Function.identity())), sinks,
                new AggregateChecks(definition, star, bootstrapServers), definition.pipeline(),
                new KafkaProducer<>(producer, new StringSerializer(), new StringSerializer()));
    }

    /**
     * Sends a {@code dev.lockstep.pipeline.failed} alert straight to the sinks, not through the outbox: the batch that
     * stopped the pipeline was rolled back, and its outbox rows with it. Best effort: a sink that fails is logged.
     */
    void pipelineFailed(LockstepException failure) {
        Matcher rule = RULE.matcher(failure.getMessage());
        Alert alert = Alert.pipelineFailed(UUID.randomUUID(), pipeline, rule.find() ? rule.group(1) : null,
                Instant.now(), new AlertData(1, 0, null, null, failure.getMessage(), List.of()));
        for (AlertSink sink : sinks) {
            try {
                sink.publish(List.of(alert));
            } catch (RuntimeException e) {
                LOG.warn("Could not send the pipeline.failed alert to a sink: {}", e.getMessage());
            }
        }
    }

    private static final Pattern RULE = Pattern.compile("quality rule (\\S+) \\(on_fail: fail\\)");

    /** Publishes quarantine ledger records to lockstep.<pipeline>.quarantine and waits for every acknowledgement. */
    private void publishQuarantine(List<QuarantineStore.Record> records) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (QuarantineStore.Record record : records) {
            ProducerRecord<String, String> r = new ProducerRecord<>(quarantineTopic, record.key(), record.json());
            r.headers().add("id", record.id().getBytes(StandardCharsets.UTF_8));
            r.headers().add("content-type", "application/json".getBytes(StandardCharsets.UTF_8));
            sent.add(quarantineProducer.send(r));
        }
        quarantineProducer.flush();
        try {
            for (Future<RecordMetadata> ack : sent) {
                ack.get(30, TimeUnit.SECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new LockstepException(ErrorCode.UNAVAILABLE, "Kafka did not take the quarantine records ("
                    + quarantineTopic + "): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LockstepException(ErrorCode.UNAVAILABLE, "interrupted relaying quarantine records", e);
        }
    }

    /** Records the open alerts in {@code metrics} from now on. */
    void metrics(QualityMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * Runs the due aggregate rules, resolves quiet alerts and relays pending events once (the worker calls it every
     * half second); throws {@link ErrorCode#PIPELINE_STOPPED} when an aggregate rule with {@code on_fail: fail}
     * failed.
     */
    public void tick() {
        try {
            aggregates.runDue(connection);
            connection.commit();
            outbox.resolveQuiet(connection, rules);
            outbox.relay(connection, sinks, 500);
            connection.commit();
            quarantine.relay(this::publishQuarantine, 1000);
            connection.commit();
            metrics.openAlerts(outbox.openCount(connection));
            connection.commit();
        } catch (LockstepException e) {
            rollbackQuietly();
            if (e.code() == ErrorCode.PIPELINE_STOPPED) {
                throw e; // an aggregate rule with on_fail: fail
            }
            LOG.warn("Alerts are pending, they go out with a later attempt: {}", e.getMessage());
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Alerts are pending, they go out with a later attempt: {}", e.getMessage());
            try {
                connection.rollback();
            } catch (SQLException rollback) {
                LOG.debug("rollback failed", rollback);
            }
        }
    }

    private void rollbackQuietly() {
        try {
            connection.rollback();
        } catch (SQLException rollback) {
            LOG.debug("rollback failed", rollback);
        }
    }

    @Override
    public void close() {
        worker.shutdown();
        try {
            if (!worker.awaitTermination(40, TimeUnit.SECONDS)) {
                LOG.warn("The alerting worker of pipeline {} did not stop within 40 s", pipeline);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (worker.isTerminated() && failure == null) {
            tick(); // what the last batches left pending
        }
        for (AlertSink sink : sinks) {
            sink.close();
        }
        aggregates.close();
        quarantineProducer.close(Duration.ofSeconds(10));
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.debug("closing the alert connection failed", e);
        }
    }
}
