package dev.lockstep.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Kafka Connect worker in standalone mode ({@code ConnectStandalone}) in a JVM of its own, with the classpath of
 * {@code connect-lib} (never this JVM's): the Debezium PostgreSQL source and the Debezium JDBC sink. Its offsets are
 * kept in a file, so a restart resumes where the last run stopped. Stopped by SIGTERM (a clean stop commits the
 * offsets), killed after a minute; a shutdown hook kills it should this JVM exit first.
 */
final class ConnectWorker {

    private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(1);

    private final Path directory;
    private final Path classpath;
    private final String heap;
    private final Map<String, String> worker;
    private final Map<String, Map<String, String>> connectors;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private final int restPort;
    private Process process;
    private Thread killer;

    /** A worker whose files live in {@code directory}; {@code connectors} by name, in start order. */
    ConnectWorker(Path directory, Path classpath, String heap, Map<String, String> worker,
            Map<String, Map<String, String>> connectors) throws IOException {
        this.directory = directory;
        this.classpath = classpath;
        this.heap = heap;
        this.restPort = freePort();
        this.worker = new LinkedHashMap<>(worker);
        this.worker.put("listeners", "http://127.0.0.1:" + restPort);
        this.worker.put("offset.storage.file.filename", directory.resolve("connect.offsets").toString());
        this.connectors = connectors;
        Files.createDirectories(directory);
    }

    /** Returns the worker's and the connectors' configurations, as passed, one {@code key=value} a line. */
    String describe() {
        StringBuilder text = new StringBuilder("worker (java -Xmx" + heap + " -cp " + classpath + "/* "
                + "org.apache.kafka.connect.cli.ConnectStandalone):\n");
        worker.forEach((k, v) -> text.append("  ").append(k).append('=').append(v).append('\n'));
        connectors.forEach((name, config) -> {
            text.append("connector ").append(name).append(":\n");
            config.forEach((k, v) -> text.append("  ").append(k).append('=').append(v).append('\n'));
        });
        return text.toString();
    }

    /** Returns the file the worker logs to. */
    Path log() {
        return directory.resolve("connect.log");
    }

    /** Returns the last {@code lines} lines of the worker's log, or why not. */
    String logTail(int lines) {
        try (Stream<String> all = Files.lines(log())) {
            List<String> kept = all.toList();
            return String.join("\n", kept.subList(Math.max(0, kept.size() - lines), kept.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Deletes the worker's directory: its configuration, offsets and log. */
    void deleteFiles() throws IOException {
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** Starts the worker and returns once every connector and its tasks are RUNNING. */
    void start() throws Exception {
        if (!Files.isDirectory(classpath)) {
            throw new IllegalStateException(classpath + " not found: build with mvn -B -Ppeer -pl peer -am package");
        }
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx" + heap, "-Dlogback.configurationFile=" + write("logback.xml", LOGBACK), "-cp",
                classpath + "/*", "org.apache.kafka.connect.cli.ConnectStandalone", write("worker.properties", worker)
                        .toString()));
        for (Map.Entry<String, Map<String, String>> connector : connectors.entrySet()) {
            command.add(write(connector.getKey() + ".properties", connector.getValue()).toString());
        }
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile())).start();
        Process started = process;
        killer = new Thread(started::destroyForcibly, "connect-worker-killer");
        Runtime.getRuntime().addShutdownHook(killer);
        awaitRunning();
    }

    /** Throws when the worker exited or a connector or task failed. */
    void checkAlive() throws IOException, InterruptedException {
        if (!process.isAlive()) {
            throw new IllegalStateException("the Connect worker exited with " + process.exitValue() + "; see "
                    + log());
        }
        for (String name : connectors.keySet()) {
            String failed = failure(name);
            if (failed != null) {
                throw new IllegalStateException(failed);
            }
        }
    }

    /** Stops the worker (SIGTERM, then SIGKILL after a minute); nothing of it runs once this returns. */
    void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            System.err.println("the Connect worker (pid " + process.pid() + ") did not stop in " + STOP_TIMEOUT
                    + ": killed");
            process.destroyForcibly().waitFor();
        }
        Runtime.getRuntime().removeShutdownHook(killer);
        process = null;
    }

    private void awaitRunning() throws Exception {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the Connect worker exited with " + process.exitValue() + "; see "
                        + log());
            }
            boolean running = true;
            for (String name : connectors.keySet()) {
                String failed = failure(name);
                if (failed != null) {
                    throw new IllegalStateException(failed);
                }
                running &= isRunning(name);
            }
            if (running) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the connectors did not run within " + START_TIMEOUT + "; see "
                        + log());
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    private boolean isRunning(String connector) throws IOException, InterruptedException {
        JsonNode status = status(connector);
        if (status == null || !"RUNNING".equals(status.path("connector").path("state").asText())
                || status.path("tasks").isEmpty()) {
            return false;
        }
        for (JsonNode task : status.path("tasks")) {
            if (!"RUNNING".equals(task.path("state").asText())) {
                return false;
            }
        }
        return true;
    }

    /** Returns what failed of {@code connector} (the connector or a task, with its trace), or null. */
    private String failure(String connector) throws IOException, InterruptedException {
        JsonNode status = status(connector);
        if (status == null) {
            return null;
        }
        if ("FAILED".equals(status.path("connector").path("state").asText())) {
            return "connector " + connector + " failed: " + status.path("connector").path("trace").asText();
        }
        for (JsonNode task : status.path("tasks")) {
            if ("FAILED".equals(task.path("state").asText())) {
                return "connector " + connector + ", task " + task.path("id").asText() + " failed: "
                        + task.path("trace").asText();
            }
        }
        return null;
    }

    /** Returns the REST API's status of {@code connector}, or null while the worker does not answer for it. */
    private JsonNode status(String connector) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort + "/connectors/"
                + connector + "/status")).timeout(Duration.ofSeconds(5)).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? json.readTree(response.body()) : null;
        } catch (ConnectException e) {
            return null; // the REST server is not up yet
        }
    }

    private Path write(String name, Map<String, String> config) throws IOException {
        Properties properties = new Properties();
        properties.putAll(config);
        Path file = directory.resolve(name);
        try (OutputStream out = Files.newOutputStream(file)) {
            properties.store(out, null);
        }
        return file;
    }

    private Path write(String name, String text) {
        try {
            return Files.writeString(directory.resolve(name), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static final String LOGBACK = """
            <configuration>
              <appender name="out" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
              </appender>
              <logger name="org.apache.kafka.connect.runtime.Worker" level="INFO"/>
              <logger name="io.debezium.connector.postgresql.PostgresConnectorTask" level="INFO"/>
              <root level="WARN"><appender-ref ref="out"/></root>
            </configuration>
            """;
}
