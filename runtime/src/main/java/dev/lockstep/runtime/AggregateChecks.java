package dev.lockstep.runtime;

import dev.lockstep.control.OffsetStore;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.CompletenessRule;
import dev.lockstep.core.definition.FreshnessRule;
import dev.lockstep.core.definition.OnFail;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.definition.ReconciliationRule;
import dev.lockstep.core.definition.SourcePostgres;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.quality.AggregateOutcome;
import dev.lockstep.quality.CompletenessCheck;
import dev.lockstep.quality.FreshnessCheck;
import dev.lockstep.quality.ReconciliationCheck.Figures;
import dev.lockstep.quality.ReconciliationCheck;
import dev.lockstep.control.AlertStore;
import dev.lockstep.warehouse.star.Reconciliation;
import dev.lockstep.warehouse.star.StarSchema;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The aggregate quality rules of a pipeline, run on a schedule by the alerting side of the apply stage:
 * {@code completeness} over the warehouse rows loaded in its window, {@code freshness} from the changes topic and the
 * applied offset, {@code reconciliation} against SQL over the source database (on schedule only once every record
 * of the changes topic is applied; the source may still be ahead of the topic, hence its tolerances). A rule beyond its threshold opens its
 * alert (one per rule); back within, the alert resolves. They never hold or drop rows; {@code on_fail: fail} stops
 * the pipeline. Not thread-safe.
 */
public final class AggregateChecks implements AutoCloseable {

    /** How often freshness is measured; completeness at most every minute, reconciliation every {@code every}. */
    private static final Duration FRESHNESS_EVERY = Duration.ofSeconds(5);
    private static final Duration COMPLETENESS_EVERY = Duration.ofMinutes(1);

    private final PipelineDefinition definition;
    private final StarSchema star;
    private final Reconciliation reconciliation;
    private final AlertStore outbox;
    private final String bootstrapServers;
    /** When each rule runs next; read by the next version's checks at a switch, while this worker may write it. */
    private final Map<String, Instant> due = new ConcurrentHashMap<>();
    private Connection source;
    private KafkaConsumer<byte[], byte[]> changes;

    public AggregateChecks(PipelineDefinition definition, StarSchema star, String bootstrapServers) {
        this.definition = definition;
        this.star = star;
        this.reconciliation = new Reconciliation(star, definition.pipeline());
        this.outbox = new AlertStore(definition.pipeline());
        this.bootstrapServers = bootstrapServers;
    }

    /** Returns the aggregate rules of the definition. */
    List<QualityRule> rules() {
        return definition.quality().stream().filter(r -> !r.kind().perRow()).toList();
    }

    /**
     * Keeps the schedule of {@code before}'s rules (the checks of the version a deployment switched from) for the
     * rules this version has unchanged: they run when they would have, not all at once at the switch (a completeness
     * or reconciliation rule scans its target, beside a stream catching up from the switch). A new or changed rule
     * runs at the first call.
     */
    void continueFrom(AggregateChecks before) {
        due.putAll(carried(Map.copyOf(before.due), before.rules(), rules()));
    }

    /**
     * Returns the next runs in {@code schedule} (of the rules {@code before}) of those of {@code rules} that are
     * unchanged among them.
     */
    static Map<String, Instant> carried(Map<String, Instant> schedule, List<QualityRule> before,
            List<QualityRule> rules) {
        Map<String, QualityRule> previous = before.stream().collect(Collectors.toMap(QualityRule::name,
                Function.identity()));
        Map<String, Instant> kept = new HashMap<>();
        for (QualityRule rule : rules) {
            Instant next = schedule.get(rule.name());
            if (next != null && rule.equals(previous.get(rule.name()))) {
                kept.put(rule.name(), next);
            }
        }
        return kept;
    }

    /** Runs the rules that are due (each runs first at the first call), in the connection's transaction. */
    void runDue(Connection warehouse) throws SQLException {
        Instant now = Instant.now();
        for (QualityRule rule : rules()) {
            if (!now.isBefore(due.getOrDefault(rule.name(), Instant.MIN))) {
                if (rule instanceof ReconciliationRule && !lag(warehouse).isZero()) {
                    // Comparing while the stream is being caught up would report the lag as a mismatch.
                    due.put(rule.name(), now.plus(FRESHNESS_EVERY));
                    continue;
                }
                due.put(rule.name(), now.plus(interval(rule)));
                run(warehouse, rule);
            }
        }
    }

    /**
     * Runs {@code rule} now and records its outcome in the alerts outbox (in the connection's transaction); throws
     * {@link ErrorCode#PIPELINE_STOPPED} when it fails with {@code on_fail: fail}.
     */
    public AggregateOutcome run(Connection warehouse, QualityRule rule) throws SQLException {
        AggregateOutcome outcome;
        if (rule instanceof CompletenessRule r) {
            outcome = completeness(warehouse, r);
        } else if (rule instanceof FreshnessRule r) {
            outcome = new FreshnessCheck(r).evaluate(lag(warehouse));
        } else if (rule instanceof ReconciliationRule r) {
            outcome = reconcile(warehouse, r);
        } else {
            throw new IllegalArgumentException(rule.name() + " is not an aggregate rule");
        }
        if (outcome.passing()) {
            outbox.backWithin(warehouse, rule, outcome.observed());
        } else {
            outbox.breached(warehouse, rule, outcome.observed());
            if (rule.onFail() == OnFail.FAIL) {
                warehouse.commit(); // the alert goes out even though the pipeline stops
                throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "quality rule " + rule.name() + " (on_fail: "
                        + "fail) is beyond its threshold on " + rule.target() + ": " + outcome.observed()
                        + "; the pipeline stopped");
            }
        }
        return outcome;
    }

    private static Duration interval(QualityRule rule) {
        if (rule instanceof ReconciliationRule r) {
            return r.every();
        } else if (rule instanceof CompletenessRule r) {
            return r.window().compareTo(COMPLETENESS_EVERY) < 0 ? r.window() : COMPLETENESS_EVERY;
        }
        return FRESHNESS_EVERY;
    }

    private AggregateOutcome completeness(Connection warehouse, CompletenessRule rule) throws SQLException {
        CompletenessCheck check = new CompletenessCheck(rule);
        try (Statement s = warehouse.createStatement();
                ResultSet rs = s.executeQuery(check.query(reconciliation.loadedRows(rule.target()), "_loaded_at"))) {
            rs.next();
            return check.evaluate(rs.getLong(1), rs.getLong(2));
        }
    }

    private AggregateOutcome reconcile(Connection warehouse, ReconciliationRule rule) throws SQLException {
        Figures target = figures(warehouse, reconciliation.warehouseQuery(rule.target(), rule.sums()), rule.sums());
        Figures origin = figures(source(), reconciliation.sourceQuery(rule.target(), rule.sums()), rule.sums());
        source.commit();
        return new ReconciliationCheck(rule).evaluate(origin, target);
    }

    private static Figures figures(Connection connection, String sql, List<String> sums) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            Map<String, BigDecimal> values = new LinkedHashMap<>();
            for (int i = 0; i < sums.size(); i++) {
                values.put(sums.get(i), rs.getBigDecimal(i + 2));
            }
            return new Figures(rs.getLong(1), values);
        }
    }

    /**
     * Returns how far the warehouse lags: zero when every record of the changes topic is applied, else the time since
     * the oldest record not yet applied was written (its Kafka timestamp).
     */
    private Duration lag(Connection warehouse) throws SQLException {
        long next = new OffsetStore(warehouse, definition.pipeline()).read().map(OffsetStore.Offsets::nextOffset)
                .orElse(0L);
        TopicPartition partition = new TopicPartition(TopicNames.changes(definition.pipeline()), 0);
        KafkaConsumer<byte[], byte[]> consumer = changes();
        long end = consumer.endOffsets(List.of(partition), Duration.ofSeconds(5)).getOrDefault(partition, 0L);
        if (next >= end) {
            return Duration.ZERO;
        }
        consumer.seek(partition, next);
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofSeconds(1))) {
            return Duration.ofMillis(Math.max(0, System.currentTimeMillis() - record.timestamp()));
        }
        return Duration.ZERO; // only transaction markers left
    }

    private KafkaConsumer<byte[], byte[]> changes() {
        if (changes == null) {
            Properties properties = new Properties();
            properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            properties.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
            changes = new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            changes.assign(List.of(new TopicPartition(TopicNames.changes(definition.pipeline()), 0)));
        }
        return changes;
    }

    private Connection source() throws SQLException {
        if (source == null || source.isClosed()) {
            SourcePostgres postgres = definition.source().postgres();
            source = PostgresConnections.open(postgres, "lockstep checks " + definition.pipeline());
            source.setAutoCommit(false);
            source.setReadOnly(true);
            try (Statement s = source.createStatement()) {
                s.execute(star.setTimeZone());
            }
        }
        return source;
    }

    @Override
    public void close() {
        if (changes != null) {
            changes.close();
        }
        try {
            if (source != null) {
                source.close();
            }
        } catch (SQLException e) {
            // closing; nothing to do
        }
    }
}
