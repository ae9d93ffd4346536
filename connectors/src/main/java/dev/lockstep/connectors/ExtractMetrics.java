package dev.lockstep.connectors;

import dev.lockstep.core.stream.TableId;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** The extract stage's metrics; tagged with {@code pipeline} (and {@code table}). Thread-safe. */
public final class ExtractMetrics implements MeterBinder {

    /** Metric names of the extract stage. */
    public static final class Names {
        /** Changes written to the changes topic, per table. */
        public static final String EVENTS = "lockstep.extract.events";
        /** Source transactions written. */
        public static final String TRANSACTIONS = "lockstep.extract.transactions";
        /** Source commit → Kafka transaction committed. */
        public static final String LAG = "lockstep.extract.lag";
        /** One Kafka transaction of the extract: begin (first send) to committed. */
        public static final String COMMIT = "lockstep.extract.commit";
        /** Debezium batches carried by one Kafka transaction (more than one when the commit pipeline is behind). */
        public static final String COMMIT_BATCHES = "lockstep.extract.commit.batches";
        /** Record batches the extract's Kafka producer sent again (broker errors, leader changes). */
        public static final String PRODUCER_RETRIES = "lockstep.extract.producer.retries";
        /** WAL the replication slot keeps, bytes. */
        public static final String WAL_RETAINED = "lockstep.extract.wal.retained";

        private Names() {}
    }

    private final String pipeline;
    private final Map<TableId, LongAdder> events = new ConcurrentHashMap<>();
    private final LongAdder transactions = new LongAdder();
    private final AtomicLong walRetained = new AtomicLong(-1);
    private final LongAdder producerRetries = new LongAdder();
    private final LongAdder commits = new LongAdder();
    private final LongAdder committedBatches = new LongAdder();
    private volatile MeterRegistry registry;
    private volatile Timer lag;
    private volatile Timer commit;
    private volatile DistributionSummary commitBatches;

    public ExtractMetrics(String pipeline) {
        this.pipeline = pipeline;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        this.registry = registry;
        this.lag = Timer.builder(Names.LAG).tag("pipeline", pipeline).publishPercentiles(0.5, 0.99)
                .description("source commit to Kafka transaction committed").register(registry);
        registry.more().counter(Names.TRANSACTIONS, io.micrometer.core.instrument.Tags.of("pipeline", pipeline),
                transactions, LongAdder::doubleValue);
        this.commit = Timer.builder(Names.COMMIT).tag("pipeline", pipeline).publishPercentiles(0.5, 0.99)
                .description("one Kafka transaction of the extract, first send to committed").register(registry);
        this.commitBatches = DistributionSummary.builder(Names.COMMIT_BATCHES).tag("pipeline", pipeline)
                .description("Debezium batches per Kafka transaction").register(registry);
        registry.more().counter(Names.PRODUCER_RETRIES, io.micrometer.core.instrument.Tags.of("pipeline", pipeline),
                producerRetries, LongAdder::doubleValue);
        Gauge.builder(Names.WAL_RETAINED, walRetained, AtomicLong::get).tag("pipeline", pipeline)
                .baseUnit("bytes").description("WAL held back by the replication slot").register(registry);
        events.forEach(this::registerTable);
    }

    /** Counts {@code n} changes of {@code table}. */
    public void changed(TableId table, long n) {
        events.computeIfAbsent(table, t -> {
            LongAdder adder = new LongAdder();
            if (registry != null) {
                registerTable(t, adder);
            }
            return adder;
        }).add(n);
    }

    /** Records one source transaction produced, committed at {@code commitMicros} on the source. */
    public void transactionProduced(long commitMicros) {
        transactions.increment();
        Timer timer = lag;
        if (timer != null) {
            long lagMicros = System.currentTimeMillis() * 1000 - commitMicros;
            timer.record(Duration.ofNanos(Math.max(0, lagMicros) * 1000));
        }
    }

    /**
     * Records one Kafka transaction of the extract: the Debezium batches it carried, how long it took, and the
     * record batches the producer sent again since the last one.
     */
    public void kafkaCommitted(int batches, Duration took, long newRetries) {
        commits.increment();
        committedBatches.add(batches);
        producerRetries.add(newRetries);
        Timer timer = commit;
        if (timer != null) {
            timer.record(took);
            commitBatches.record(batches);
        }
    }

    /** Returns the number of Kafka transactions the extract committed so far. */
    public long totalCommits() {
        return commits.sum();
    }

    /** Returns the number of Debezium batches those Kafka transactions carried. */
    public long totalCommittedBatches() {
        return committedBatches.sum();
    }

    /** Sets the WAL the slot retains. */
    public void walRetained(long bytes) {
        walRetained.set(bytes);
    }

    /** Returns the number of changes written so far, all tables. */
    public long totalEvents() {
        return events.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Returns the number of changes written so far for each table. */
    public Map<TableId, Long> eventsByTable() {
        Map<TableId, Long> out = new java.util.TreeMap<>(java.util.Comparator.comparing(TableId::toString));
        events.forEach((t, n) -> out.put(t, n.sum()));
        return out;
    }

    /** Returns the number of source transactions written so far. */
    public long totalTransactions() {
        return transactions.sum();
    }

    /** Returns the last WAL-retained reading, or -1 before the first. */
    public long walRetainedBytes() {
        return walRetained.get();
    }

    private void registerTable(TableId table, LongAdder adder) {
        registry.more().counter(Names.EVENTS, io.micrometer.core.instrument.Tags.of("pipeline", pipeline,
                "table", table.toString()), adder, LongAdder::doubleValue);
    }
}
