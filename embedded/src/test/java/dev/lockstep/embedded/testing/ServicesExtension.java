package dev.lockstep.embedded.testing;

import dev.lockstep.embedded.EmbeddedKafka;
import dev.lockstep.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives a test class its own databases and topics on the JVM's shared {@link TestServices}.
 *
 * <pre>{@code
 * @RegisterExtension static final ServicesExtension services = new ServicesExtension();
 * ... services.connect("shop") ... services.topic("changes") ...
 * }</pre>
 *
 * Names are prefixed per test class (and run), so classes never see each other's data. Databases are dropped
 * after the class; topics go away with the broker. Skips the class when the selected services cannot run
 * here (Testcontainers without Docker).
 *
 * <p>A fault test, which stops and restarts the broker or a database server, takes services of its own instead:
 * <pre>{@code
 * @RegisterExtension
 * static final ServicesExtension services = ServicesExtension.ownEmbedded().withSeparateServer("warehouse");
 * ... services.postgres("warehouse").stopKeepingData() ... services.kafka().start() ...
 * }</pre>
 */
public final class ServicesExtension implements ExecutionCondition, BeforeAllCallback, AfterAllCallback {

    private final boolean own;
    private final List<List<String>> separateServers;
    private final Map<String, String> databases = new ConcurrentHashMap<>();
    private final Map<String, String> topics = new ConcurrentHashMap<>();
    private OwnEmbeddedServices owned;
    private Services services;
    private String prefix;

    /** An extension over the test JVM's shared services. */
    public ServicesExtension() {
        this(false, List.of());
    }

    private ServicesExtension(boolean own, List<List<String>> separateServers) {
        this.own = own;
        this.separateServers = List.copyOf(separateServers);
    }

    /**
     * Returns an extension whose Kafka broker and PostgreSQL server belong to the test class alone — started before
     * it, removed after it — so that the class may stop and restart them in place ({@link #kafka()},
     * {@link #postgres(String)}). Embedded services only: under another {@code -Dlockstep.services} the class is
     * skipped.
     */
    public static ServicesExtension ownEmbedded() {
        return new ServicesExtension(true, List.of());
    }

    /**
     * Returns a copy that puts the databases {@code logicalNames} on a PostgreSQL server of their own, which the class
     * can stop while the other databases stay up; only with {@link #ownEmbedded()}.
     */
    public ServicesExtension withSeparateServer(String... logicalNames) {
        if (!own) {
            throw new IllegalStateException("a separate server needs ServicesExtension.ownEmbedded()");
        }
        List<List<String>> separate = new ArrayList<>(separateServers);
        separate.add(List.of(logicalNames));
        return new ServicesExtension(true, separate);
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (own) {
            return ServicesMode.current() == ServicesMode.EMBEDDED
                    ? ConditionEvaluationResult.enabled("own embedded services")
                    : ConditionEvaluationResult.disabled("stops and restarts services of its own: embedded only");
        }
        return TestServices.available() ? ConditionEvaluationResult.enabled("services available")
                : ConditionEvaluationResult.disabled("-Dlockstep.services=testcontainers: no Docker engine here");
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (own) {
            owned = OwnEmbeddedServices.start(separateServers);
            services = owned.main();
        } else {
            services = TestServices.get();
        }
        prefix = prefixFor(context.getRequiredTestClass());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (services == null) {
            return; // skipped: the services could not run here
        }
        if (owned != null) {
            owned.close();
            owned = null;
        } else {
            databases.values().forEach(services::dropDatabase);
        }
        databases.clear();
        topics.clear();
    }

    /** Returns the shared services. */
    public Services services() {
        return requireStarted();
    }

    /** Creates (once per class) a fresh database for {@code logicalName} and returns its real name. */
    public String database(String logicalName) {
        Services s = servicesFor(logicalName);
        return databases.computeIfAbsent(logicalName, name -> {
            String real = prefix + "_" + sanitize(name);
            s.createDatabase(real);
            return real;
        });
    }

    /** Returns the JDBC URL of this class's database {@code logicalName}, creating it on first use. */
    public String jdbcUrl(String logicalName) {
        return servicesFor(logicalName).jdbcUrl(database(logicalName));
    }

    /** Returns the class's own broker, to stop and restart; only with {@link #ownEmbedded()}. */
    public EmbeddedKafka kafka() {
        return requireOwned().kafka();
    }

    /**
     * Returns the class's own PostgreSQL server that holds the database {@code logicalName}, to stop and restart;
     * only with {@link #ownEmbedded()}.
     */
    public EmbeddedPostgres postgres(String logicalName) {
        return requireOwned().postgres(logicalName);
    }

    /** Returns the PostgreSQL user. */
    public String user() {
        return requireStarted().user();
    }

    /** Returns the PostgreSQL password (empty for the embedded server). */
    public String password() {
        return requireStarted().password();
    }

    /** Opens a connection to this class's database {@code logicalName}. */
    public Connection connect(String logicalName) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(logicalName), user(), password());
    }

    /** Runs statements on this class's database {@code logicalName}, in autocommit (a BEGIN/COMMIT pair works). */
    public void execute(String logicalName, String... statements) throws SQLException {
        try (Connection c = connect(logicalName); java.sql.Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    /** Returns the first column of every row of {@code query} on database {@code logicalName}, as text. */
    public List<String> query(String logicalName, String query) throws SQLException {
        List<String> rows = new java.util.ArrayList<>();
        try (Connection c = connect(logicalName); java.sql.Statement s = c.createStatement();
                java.sql.ResultSet rs = s.executeQuery(query)) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        }
        return rows;
    }

    /** Returns the port of the PostgreSQL server as its JDBC URL for {@code logicalName} gives it. */
    public int port(String logicalName) {
        String url = jdbcUrl(logicalName);
        return Integer.parseInt(url.substring(url.lastIndexOf(':') + 1, url.indexOf('/', url.lastIndexOf(':'))));
    }

    /** Returns the Kafka bootstrap servers. */
    public String bootstrapServers() {
        return requireStarted().bootstrapServers();
    }

    /** Creates (once per class) a one-partition topic for {@code logicalName} and returns its real name. */
    public String topic(String logicalName) {
        return topic(logicalName, 1, Map.of());
    }

    /** Creates (once per class) a topic for {@code logicalName} with these settings and returns its real name. */
    public String topic(String logicalName, int partitions, Map<String, String> configs) {
        requireStarted();
        return topics.computeIfAbsent(logicalName, name -> {
            String real = prefix + "." + name;
            createTopic(real, partitions, configs);
            return real;
        });
    }

    private void createTopic(String topic, int partitions, Map<String, String> configs) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + topic, e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out creating topic " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating topic " + topic, e);
        }
    }

    private Services servicesFor(String logicalName) {
        requireStarted();
        return owned != null ? owned.servicesFor(logicalName) : services;
    }

    private OwnEmbeddedServices requireOwned() {
        requireStarted();
        if (owned == null) {
            throw new IllegalStateException("only ServicesExtension.ownEmbedded() hands out its servers: the shared "
                    + "ones serve other test classes too");
        }
        return owned;
    }

    private Services requireStarted() {
        if (services == null) {
            throw new IllegalStateException("register ServicesExtension as a static @RegisterExtension field");
        }
        return services;
    }

    private static String prefixFor(Class<?> testClass) {
        String name = sanitize(testClass.getSimpleName());
        if (name.length() > 40) {
            name = name.substring(0, 40);
        }
        return name + "_" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
    }

    private static String sanitize(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    }
}
