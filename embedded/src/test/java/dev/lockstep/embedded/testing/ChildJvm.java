package dev.lockstep.embedded.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.awaitility.Awaitility;

/**
 * A JVM started from the test classpath, for crash tests that {@code kill -9} a stage and restart it.
 *
 * <p>Its output (stdout and stderr) goes to a log file under {@code target/child-jvms}; every child still alive
 * when the test JVM exits is killed. The child inherits the environment and the embedded-services base directory.
 */
public final class ChildJvm implements AutoCloseable {

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                "child-jvm-reaper"));
    }

    private final Process process;
    private final Path log;

    private ChildJvm(Process process, Path log) {
        this.process = process;
        this.log = log;
        LIVE.add(process);
        process.onExit().thenRun(() -> LIVE.remove(process));
    }

    /** Starts describing a child JVM that runs {@code mainClass}. */
    public static Builder of(Class<?> mainClass) {
        return new Builder(mainClass);
    }

    /** Returns the child's pid. */
    public long pid() {
        return process.pid();
    }

    /** Returns true while the child runs. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Returns the lines the child printed so far (its stdout and stderr go to its log file). */
    public List<String> output() {
        try {
            return Files.readAllLines(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of("[cannot read " + log + ": " + e + "]");
        }
    }

    /** Waits for a line matching {@code predicate} and returns it; fails on timeout or if the child dies first. */
    public String awaitLine(Predicate<String> predicate, Duration timeout) {
        Awaitility.await("a line from child JVM " + pid() + " (log: " + log + ")")
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    if (findLine(predicate).isPresent()) {
                        return true;
                    }
                    if (!process.isAlive()) {
                        throw new IllegalStateException("child JVM " + pid() + " exited with " + process.exitValue()
                                + " before printing the line; output:\n" + String.join("\n", output()));
                    }
                    return false;
                });
        return findLine(predicate).orElseThrow();
    }

    /** Kills the child with SIGKILL, as {@code kill -9} would, and waits until it is gone. */
    public void kill() {
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(30));
    }

    /** Asks the child to stop (SIGTERM, running its shutdown hooks) and returns its exit code. */
    public int stop(Duration timeout) {
        process.destroy();
        if (!awaitExit(timeout)) {
            kill();
        }
        return process.exitValue();
    }

    /** Waits for the child to exit by itself and returns its exit code. */
    public int awaitExitCode(Duration timeout) {
        if (!awaitExit(timeout)) {
            throw new IllegalStateException("child JVM " + pid() + " still runs after " + timeout);
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }

    private boolean awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private Optional<String> findLine(Predicate<String> predicate) {
        return output().stream().filter(predicate).findFirst();
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }

    /** Describes a child JVM; {@link #start()} launches it. */
    public static final class Builder {
        private final Class<?> mainClass;
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> systemProperties = new LinkedHashMap<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private String heap = "256m";
        private Path logDirectory = Path.of("target", "child-jvms");

        private Builder(Class<?> mainClass) {
            this.mainClass = requireNonNull(mainClass, "mainClass");
            String base = System.getProperty("lockstep.embedded.dir");
            if (base != null) {
                systemProperties.put("lockstep.embedded.dir", base);
            }
            // The log levels of logback-test.xml, so that a child logs what the test asked of its own JVM.
            for (String level : List.of("lockstep.log", "lockstep.debezium.log")) {
                if (System.getProperty(level) != null) {
                    systemProperties.put(level, System.getProperty(level));
                }
            }
        }

        /** Program arguments. */
        public Builder args(String... values) {
            args.addAll(List.of(values));
            return this;
        }

        /** A {@code -Dkey=value} for the child. */
        public Builder systemProperty(String key, String value) {
            systemProperties.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
            return this;
        }

        /** An environment variable for the child, on top of this JVM's environment. */
        public Builder environment(String key, String value) {
            environment.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
            return this;
        }

        /** Maximum heap, e.g. {@code 256m}. */
        public Builder heap(String value) {
            this.heap = requireNonNull(value, "value");
            return this;
        }

        /** Where the child's log file goes; default {@code target/child-jvms}. */
        public Builder logDirectory(Path directory) {
            this.logDirectory = requireNonNull(directory, "directory");
            return this;
        }

        /** Launches the child JVM. */
        public ChildJvm start() {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-Xmx" + heap);
            command.add("-XX:+UseSerialGC");
        // C1 only: a child lives for one test, and C2's compiler threads compete with everything else for the
        // machine's cores (measured on two cores: DeploymentLifecycleIT 115 → 84 s, CrashPointsIT 127 → 98 s).
        command.add("-XX:TieredStopAtLevel=1");
            systemProperties.forEach((k, v) -> command.add("-D" + k + "=" + v));
            command.add("-cp");
            command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
            command.add(mainClass.getName());
            command.addAll(args);
            try {
                Files.createDirectories(logDirectory);
                Path log = logDirectory.resolve(mainClass.getSimpleName() + "-" + System.nanoTime() + ".log");
                ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
                // A Lockstep command's own log file (--log-file's default) goes beside the child's output.
                builder.environment().put("LOCKSTEP_LOG_DIR", logDirectory.toAbsolutePath().toString());
                builder.environment().putAll(environment);
                Process process = builder.start();
                return new ChildJvm(process, log);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start child JVM " + mainClass.getName(), e);
            }
        }
    }
}
