package dev.lockstep.app;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.definition.Secret;
import dev.lockstep.core.definition.WarehousePostgres;
import dev.lockstep.core.kafka.Topics;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.quality.alert.AlertSink;
import dev.lockstep.quality.alert.KafkaAlertSink;
import dev.lockstep.quality.alert.WebhookAlertSink;
import dev.lockstep.warehouse.alert.AlertOutbox;
import dev.lockstep.warehouse.star.ReferenceChecks;
import dev.lockstep.warehouse.star.StarSchema;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alert side of a running apply stage: between batches, applies the references rules whose grace passed,
 * resolves open alerts whose rule has been quiet for its
 * {@code resolve_after} and relays pending outbox events to {@code lockstep.alerts} and the definition's webhooks.
 * A sink that fails leaves the events pending: they go out with a later tick (at-least-once). Not thread-safe.
 */
final class Alerting implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Alerting.class);
    private static final Duration EVERY = Duration.ofMillis(500);

    private final Connection connection;
    private final AlertOutbox outbox;
    private final Map<String, QualityRule> rules;
    private final List<AlertSink> sinks;
    private final ReferenceChecks references;
    private long lastTick;

    private Alerting(Connection connection, AlertOutbox outbox, Map<String, QualityRule> rules, List<AlertSink> sinks,
            ReferenceChecks references) {
        this.references = references;
        this.connection = connection;
        this.outbox = outbox;
        this.rules = rules;
        this.sinks = sinks;
    }

    /**
     * Opens the alerting of {@code definition} (star schema {@code star}), relaying to Kafka at
     * {@code bootstrapServers} and to its webhooks.
     */
    static Alerting open(PipelineDefinition definition, StarSchema star, String bootstrapServers) throws SQLException {
        WarehousePostgres warehouse = definition.warehouse().postgres();
        Connection connection = DriverManager.getConnection(warehouse.jdbcUrl(), warehouse.user(),
                warehouse.password().map(Secret::reveal).orElse(""));
        connection.setAutoCommit(false);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            // Shared by every pipeline; keyed by pipeline and rule, so one rule's events stay in order.
            Topics.ensure(admin, TopicNames.ALERTS, 3, Map.of("retention.ms", String.valueOf(Duration.ofDays(30)
                    .toMillis())));
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
        return new Alerting(connection, new AlertOutbox(definition.pipeline()), definition.quality().stream()
                .collect(Collectors.toMap(QualityRule::name, Function.identity())), sinks,
                new ReferenceChecks(star, definition.pipeline(), WarehouseDeployment.VERSION));
    }

    /** Resolves quiet alerts and relays pending events, at most every half second. */
    void tick() {
        if (System.nanoTime() - lastTick < EVERY.toNanos()) {
            return;
        }
        lastTick = System.nanoTime();
        try {
            references.run(connection); // members still inferred after their grace, also while the stream is quiet
            outbox.resolveQuiet(connection, rules);
            outbox.relay(connection, sinks, 500);
            connection.commit();
        } catch (LockstepException e) {
            rollbackQuietly();
            if (e.code() == ErrorCode.PIPELINE_STOPPED) {
                throw e; // a references rule with on_fail: fail
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
        tick();
        for (AlertSink sink : sinks) {
            sink.close();
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.debug("closing the alert connection failed", e);
        }
    }
}
