package dev.lockstep.embedded;

import static java.util.Objects.requireNonNull;

import dev.lockstep.embedded.internal.FreePorts;
import dev.lockstep.embedded.internal.RunDirectory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) running in this JVM.
 *
 * <p>Internal topics have replication factor 1, so transactional producers and consumer groups work on one
 * node; the log cleaner's buffer is small so the broker fits a small heap. The log directory lives under a
 * base directory the caller chooses and is removed on {@link #stop()} and {@link #close()}; directories of a run
 * that was killed are removed on the next start.
 *
 * <p>A fault test stops the broker with {@link #stopKeepingData()} and brings the same broker back with
 * {@link #start()}: same log directory, cluster and ports, so clients reconnect to the address they had.
 * {@link #start()}, {@link #stopKeepingData()} and {@link #stop()} are idempotent and thread-safe.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Path baseDirectory;
    private final Map<String, String> brokerConfig;

    private RunDirectory run;
    private KafkaRaftServer server;
    private int brokerPort;
    private int controllerPort;
    private Thread shutdownHook;
    private final boolean stopOnJvmExit;

    private EmbeddedKafka(Builder builder) {
        this.stopOnJvmExit = builder.stopOnJvmExit;
        this.baseDirectory = builder.baseDirectory;
        this.brokerConfig = Map.copyOf(builder.brokerConfig);
    }

    /** Returns a builder with single-node, small-heap defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the broker; a no-op when it runs. The first start formats a fresh log directory on free ports; a start
     * after {@link #stopKeepingData()} runs the same broker again, on the same log directory and ports.
     */
    public synchronized EmbeddedKafka start() {
        if (server != null) {
            return this;
        }
        long startedAt = System.nanoTime();
        boolean fresh = run == null;
        if (fresh) {
            run = RunDirectory.create(baseDirectory, "kafka", leftover -> { });
            brokerPort = FreePorts.next();
            controllerPort = FreePorts.next();
        }
        try {
            startServer(fresh);
            awaitReady();
        } catch (RuntimeException e) {
            if (fresh) {
                stopQuietly();
            } else {
                shutDownServer(); // the log directory stays for another start
            }
            throw e;
        }
        if (stopOnJvmExit && shutdownHook == null) {
            shutdownHook = new Thread(this::stopFromHook, "embedded-kafka-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        LOG.debug("Embedded Kafka {} on {} in {} ms (log directory {})", fresh ? "started" : "restarted",
                bootstrapServers(), (System.nanoTime() - startedAt) / 1_000_000, run.path());
        return this;
    }

    /**
     * Shuts the broker down cleanly but keeps its log directory and ports, so that {@link #start()} brings the same
     * broker back at the same address; a no-op when not running. Committed records survive.
     */
    public synchronized void stopKeepingData() {
        if (server != null) {
            shutDownServer();
        }
    }

    /** Stops the broker if it runs and removes its log directory; a no-op when there is none. */
    public synchronized void stop() {
        if (run == null) {
            return;
        }
        stopQuietly();
        try {
            if (shutdownHook != null) {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or will run; stopQuietly() made it a no-op
        } finally {
            shutdownHook = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** Returns true while the broker runs. */
    public synchronized boolean isRunning() {
        return server != null;
    }

    /**
     * Returns {@code localhost:<port>} of the broker's client listener, the same across {@link #stopKeepingData()}
     * and {@link #start()}; the broker must have been started and not {@link #stop() stopped}.
     */
    public synchronized String bootstrapServers() {
        requireRun();
        return "localhost:" + brokerPort;
    }

    /** Returns the run directory holding the broker's log directory; the same rules as {@link #bootstrapServers()}. */
    public synchronized Path directory() {
        return requireRun().path();
    }

    /** Creates {@code topic} unless it exists. */
    public void createTopic(String topic, int partitions, Map<String, String> configs) {
        try (Admin admin = Admin.create(adminConfig())) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new EmbeddedServiceException("cannot create topic " + topic + ": " + e.getCause(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new EmbeddedServiceException("timed out creating topic " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedServiceException("interrupted creating topic " + topic, e);
        }
    }

    private RunDirectory requireRun() {
        if (run == null) {
            throw new IllegalStateException("embedded Kafka was not started, or was stopped");
        }
        return run;
    }

    private void startServer(boolean fresh) {
        String logDir = run.path().resolve("data").toString();
        Properties props = new Properties();
        props.putAll(defaults(brokerPort, controllerPort, logDir));
        props.putAll(brokerConfig);
        KafkaConfig config = new KafkaConfig(props, false);
        if (fresh) {
            format(config, logDir);
        }
        server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            throw fresh ? e : new EmbeddedServiceException("embedded Kafka did not start again on port " + brokerPort
                    + " (its log directory " + logDir + " is kept): " + e.getMessage(), e);
        }
    }

    private static void format(KafkaConfig config, String logDir) {
        try {
            new Formatter()
                    .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setNodeId(config.nodeId())
                    .setDirectories(List.of(logDir))
                    .setMetadataLogDirectory(logDir)
                    .setControllerListenerName("CONTROLLER")
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setUnstableFeatureVersionsEnabled(false)
                    .setIgnoreFormatted(false)
                    .run();
        } catch (Exception e) {
            throw new EmbeddedServiceException("cannot format Kafka log directory " + logDir + ": " + e, e);
        }
    }

    private void awaitReady() {
        try (Admin admin = Admin.create(adminConfig())) {
            int nodes = admin.describeCluster().nodes().get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).size();
            if (nodes == 0) {
                throw new EmbeddedServiceException("embedded Kafka reports no broker");
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new EmbeddedServiceException("embedded Kafka did not become ready within " + READY_TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedServiceException("interrupted while waiting for embedded Kafka", e);
        }
    }

    private Map<String, Object> adminConfig() {
        return Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    }

    private synchronized void stopFromHook() {
        stopQuietly();
    }

    private void stopQuietly() {
        try {
            shutDownServer();
        } finally {
            if (run != null) {
                run.close();
                run = null;
            }
        }
    }

    private void shutDownServer() {
        try {
            if (server != null) {
                server.shutdown();
                server.awaitShutdown();
            }
        } catch (RuntimeException e) {
            LOG.warn("Kafka did not stop cleanly: {}", e.toString());
        } finally {
            server = null;
        }
    }

    private static Map<String, String> defaults(int brokerPort, int controllerPort, String logDir) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@localhost:" + controllerPort);
        p.put("listeners", "PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logDir);
        // One node: every internal topic has one replica, or transactions and consumer groups never start.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        // Small-heap friendly: the cleaner's dedupe buffer defaults to 128 MiB.
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(4 * 1024 * 1024));
        p.put("log.cleaner.threads", "1");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("num.partitions", "1");
        return p;
    }

    /** Builds an {@link EmbeddedKafka}. */
    public static final class Builder {
        private boolean stopOnJvmExit = true;
        private Path baseDirectory = EmbeddedDirectories.defaultBase().resolve("runs");
        private final Map<String, String> brokerConfig = new LinkedHashMap<>();

        private Builder() {}

        /** Where run directories (log directories) are created; leftovers under it are removed on start. */
        public Builder baseDirectory(Path directory) {
            this.baseDirectory = requireNonNull(directory, "directory").toAbsolutePath();
            return this;
        }

        /** A broker setting overriding the defaults. */
        public Builder brokerConfig(String key, String value) {
            brokerConfig.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
            return this;
        }

        /**
         * Whether a JVM shutdown hook stops the server (the default). A caller that must stop things in order on
         * Ctrl-C (drain a pipeline first) turns it off and stops the server itself.
         */
        public Builder stopOnJvmExit(boolean stop) {
            this.stopOnJvmExit = stop;
            return this;
        }

        /** Returns a broker, not yet started. */
        public EmbeddedKafka build() {
            return new EmbeddedKafka(this);
        }
    }
}
