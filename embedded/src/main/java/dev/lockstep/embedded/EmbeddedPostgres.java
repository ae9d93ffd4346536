package dev.lockstep.embedded;

import static java.util.Objects.requireNonNull;

import dev.lockstep.embedded.internal.FreePorts;
import dev.lockstep.embedded.internal.Processes;
import dev.lockstep.embedded.internal.RunDirectory;
import dev.lockstep.embedded.internal.RootUser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL 17 server from zonky's Maven-shipped binaries, ready for logical replication.
 *
 * <p>Unlike zonky's defaults, the server is durable ({@code fsync} and {@code synchronous_commit} on) and runs
 * with {@code wal_level=logical}. Its data directory lives under a base directory the caller chooses and is
 * removed on {@link #stop()} and {@link #close()}; leftovers of a run that was killed are stopped (by the pid
 * PostgreSQL recorded in that data directory) and removed on the next start under the same base directory.
 *
 * <p>A fault test stops the server with {@link #stopKeepingData()} and brings it back with {@link #start()}: same
 * data directory, same port, so clients reconnect to the URL they had. {@link #start()},
 * {@link #stopKeepingData()} and {@link #stop()} are idempotent and thread-safe.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);
    private static final String SUPERUSER = "postgres";
    private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final int START_ATTEMPTS = 3;
    /** pg_ctl (through zonky) gives up waiting after 5 s; the fast shutdown goes on, and a restart needs it done. */
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(60);

    private final Path baseDirectory;
    private final Path binariesDirectory;
    private final Map<String, String> serverConfig;
    private final Set<String> databases;

    private RunDirectory run;
    private io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;
    private int port;
    private Thread shutdownHook;
    private final boolean stopOnJvmExit;

    private EmbeddedPostgres(Builder builder) {
        this.stopOnJvmExit = builder.stopOnJvmExit;
        this.baseDirectory = builder.baseDirectory;
        this.binariesDirectory = builder.binariesDirectory;
        this.serverConfig = Map.copyOf(builder.serverConfig);
        this.databases = Set.copyOf(builder.databases);
    }

    /** Returns a builder with durable, logical-replication defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the server; a no-op when it runs. The first start creates a fresh data directory on a free port and the
     * requested databases; a start after {@link #stopKeepingData()} runs the same data directory on the same port.
     */
    public synchronized EmbeddedPostgres start() {
        if (server != null) {
            return this;
        }
        RootUser.requireUserNamespacesWhenRoot();
        long startedAt = System.nanoTime();
        boolean fresh = run == null;
        if (fresh) {
            startFresh();
        } else {
            server = restartServer(dataDirectory());
        }
        if (stopOnJvmExit && shutdownHook == null) {
            shutdownHook = new Thread(this::stopFromHook, "embedded-postgres-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        if (fresh) {
            for (String database : databases) {
                createDatabase(database);
            }
        }
        LOG.debug("Embedded PostgreSQL {} on port {} in {} ms (data directory {})", fresh ? "started" : "restarted",
                port, (System.nanoTime() - startedAt) / 1_000_000, run.path());
        return this;
    }

    /**
     * Shuts the server down (fast mode: sessions are ended, a checkpoint is written) but keeps its data directory and
     * port, so that {@link #start()} brings the same server back at the same URL; a no-op when not running.
     */
    public synchronized void stopKeepingData() {
        if (server != null) {
            shutDownServer();
        }
    }

    /** Stops the server if it runs and removes its data directory; a no-op when there is none. */
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

    /** Returns true while the server runs. */
    public synchronized boolean isRunning() {
        return server != null;
    }

    /**
     * Returns the TCP port on localhost, the same across {@link #stopKeepingData()} and {@link #start()}; the server
     * must have been started and not {@link #stop() stopped}.
     */
    public synchronized int port() {
        requireRun();
        return port;
    }

    /** Returns the superuser name (trust authentication on localhost, no password). */
    public String user() {
        return SUPERUSER;
    }

    /** Returns a JDBC URL for {@code database} on this server; the same rules as {@link #port()}. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + port() + "/" + database;
    }

    /** Returns the server's data directory; the same rules as {@link #port()}. */
    public synchronized Path dataDirectory() {
        return requireRun().path().resolve("data");
    }

    /** Returns the pid of the postmaster, as PostgreSQL recorded it in its data directory. */
    public synchronized long serverPid() {
        return readPostmasterPid(dataDirectory())
                .orElseThrow(() -> new EmbeddedServiceException("PostgreSQL recorded no postmaster.pid"));
    }

    /** Opens a connection to {@code database} as the superuser. */
    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), SUPERUSER, "");
    }

    /** Creates {@code name} unless it exists; names are lower-case SQL identifiers. */
    public void createDatabase(String name) {
        if (!DATABASE_NAME.matcher(requireNonNull(name, "name")).matches()) {
            throw new IllegalArgumentException("database name must match " + DATABASE_NAME + ": " + name);
        }
        try (Connection c = connect("postgres");
                PreparedStatement exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, name);
            try (ResultSet rs = exists.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
            try (Statement create = c.createStatement()) {
                create.execute("CREATE DATABASE \"" + name + "\"");
            }
        } catch (SQLException e) {
            throw new EmbeddedServiceException("cannot create database " + name + ": " + e.getMessage(), e);
        }
    }

    private void startFresh() {
        run = RunDirectory.create(baseDirectory, "postgres", EmbeddedPostgres::stopLeftoverServer);
        Path dataDirectory = run.path().resolve("data");
        Exception last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            try {
                server = startServer(dataDirectory, FreePorts.next());
                port = server.getPort();
                return;
            } catch (IOException | RuntimeException e) {
                last = e;
                LOG.debug("PostgreSQL start attempt {} failed: {}", attempt, e.toString());
                stopLeftoverServer(run.path());
                RunDirectory.deleteRecursively(dataDirectory);
            }
        }
        String log = tail(run.path().resolve("postgres.log"));
        run.close();
        run = null;
        throw new EmbeddedServiceException("PostgreSQL did not start (" + last.getMessage() + "); its log ends with:\n"
                + log, last);
    }

    private io.zonky.test.db.postgres.embedded.EmbeddedPostgres restartServer(Path dataDirectory) {
        try {
            return startServer(dataDirectory, port);
        } catch (IOException | RuntimeException e) {
            stopLeftoverServer(run.path());
            throw new EmbeddedServiceException("PostgreSQL did not start again on port " + port + " (its data "
                    + "directory " + dataDirectory + " is kept): " + e.getMessage() + "; its log ends with:\n"
                    + tail(run.path().resolve("postgres.log")), e);
        }
    }

    private io.zonky.test.db.postgres.embedded.EmbeddedPostgres startServer(Path dataDirectory, int port)
            throws IOException {
        Path log = run.path().resolve("postgres.log");
        var builder = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
                .setDataDirectory(dataDirectory)
                .setCleanDataDirectory(false)
                .setRegisterShutdownHook(false)
                .setOverrideWorkingDirectory(binariesDirectory.toFile())
                .setPort(port)
                .setLocaleConfig("locale", "C")
                .setPGStartupWait(Duration.ofSeconds(60))
                .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log.toFile()));
        serverConfig.forEach(builder::setServerConfig);
        return builder.start();
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

    /** Stops the postmaster and waits until it is gone, so that the data directory is free for another start. */
    private void shutDownServer() {
        if (server == null) {
            return;
        }
        Path data = run.path().resolve("data");
        Optional<ProcessHandle> postmaster = readPostmasterPid(data).flatMap(ProcessHandle::of);
        try {
            server.close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("PostgreSQL did not stop cleanly: {}", e.toString());
        } finally {
            server = null;
        }
        if (postmaster.isPresent() && !exited(postmaster.get(), SHUTDOWN_TIMEOUT)) {
            LOG.warn("PostgreSQL pid {} still runs {} after its shutdown; stopping it", postmaster.get().pid(),
                    SHUTDOWN_TIMEOUT);
            stopLeftoverServer(run.path());
        }
    }

    private static boolean exited(ProcessHandle process, Duration timeout) {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        } catch (ExecutionException | TimeoutException e) {
            return !process.isAlive();
        }
    }

    private RunDirectory requireRun() {
        if (run == null) {
            throw new IllegalStateException("embedded PostgreSQL was not started, or was stopped");
        }
        return run;
    }

    /** Stops a postmaster left behind in {@code runDirectory}, identified by its recorded pid and data directory. */
    private static void stopLeftoverServer(Path runDirectory) {
        Path data = runDirectory.resolve("data").toAbsolutePath();
        readPostmasterPid(data)
                .flatMap(pid -> Processes.liveProcessMentioning(pid, data.toString()))
                .ifPresent(postmaster -> {
                    LOG.info("Stopping leftover PostgreSQL server pid {} of {}", postmaster.pid(), data);
                    Processes.stop(postmaster, Duration.ofSeconds(15));
                });
    }

    private static Optional<Long> readPostmasterPid(Path dataDirectory) {
        Path pidFile = dataDirectory.resolve("postmaster.pid");
        try {
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Builds an {@link EmbeddedPostgres}; {@code with*}-style setters return this builder. */
    public static final class Builder {
        private boolean stopOnJvmExit = true;
        private Path baseDirectory = EmbeddedDirectories.defaultBase().resolve("runs");
        private Path binariesDirectory = EmbeddedDirectories.defaultBase().resolve("postgres-binaries");
        private final Map<String, String> serverConfig = new LinkedHashMap<>();
        private final Set<String> databases = new LinkedHashSet<>();

        private Builder() {
            serverConfig.put("wal_level", "logical");
            serverConfig.put("max_replication_slots", "20");
            serverConfig.put("max_wal_senders", "20");
            // zonky turns both off (-F, synchronous_commit=off); a CDC source and a warehouse must be durable.
            serverConfig.put("fsync", "on");
            serverConfig.put("synchronous_commit", "on");
            serverConfig.put("full_page_writes", "on");
            serverConfig.put("timezone", "UTC");
            serverConfig.put("max_connections", "200");
        }

        /** Where run directories (data directories) are created; leftovers under it are cleaned up on start. */
        public Builder baseDirectory(Path directory) {
            this.baseDirectory = requireNonNull(directory, "directory").toAbsolutePath();
            return this;
        }

        /** Where zonky unpacks the PostgreSQL binaries; shared by runs and kept between them. */
        public Builder binariesDirectory(Path directory) {
            this.binariesDirectory = requireNonNull(directory, "directory").toAbsolutePath();
            return this;
        }

        /** Databases created on start. */
        public Builder databases(String... names) {
            databases.addAll(List.of(names));
            return this;
        }

        /** A {@code postgresql.conf} setting passed on the server's command line. */
        public Builder serverConfig(String key, String value) {
            serverConfig.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
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

        /** Returns a server, not yet started. */
        public EmbeddedPostgres build() {
            return new EmbeddedPostgres(this);
        }
    }
}
