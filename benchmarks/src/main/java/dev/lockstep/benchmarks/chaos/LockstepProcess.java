package dev.lockstep.benchmarks.chaos;

import static java.util.Objects.requireNonNull;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One {@code java -Xmx512m -jar lockstep.jar <args>} child process, its stdout and stderr in a log file, and its log
 * (Lockstep's and the libraries' lines, {@code --log-file}) beside it in {@link #detailLog}.
 *
 * <p>{@link #kill()} is SIGKILL: on Linux, {@link Process#destroyForcibly()} sends SIGKILL to the child's pid, and a
 * JVM killed so exits with 137 (128 + 9), which {@link #kill()} returns so that callers can check it. Every child
 * still alive when this JVM exits is killed. Not thread-safe.
 */
final class LockstepProcess implements AutoCloseable {

    /** The exit code of a process killed with SIGKILL. */
    static final int SIGKILL_EXIT = 128 + 9;

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static final Duration EXIT_WAIT = Duration.ofSeconds(30);

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                "chaos-child-reaper"));
    }

    private final Process process;
    private final Path log;
    private final long startedNanos;
    private final List<String> lines = new ArrayList<>();
    private long readUpTo;

    private LockstepProcess(Process process, Path log, long startedNanos) {
        this.process = process;
        this.log = log;
        this.startedNanos = startedNanos;
        LIVE.add(process);
        process.onExit().thenRun(() -> LIVE.remove(process));
    }

    /**
     * Starts {@code java -Xmx512m -jar jar args --log-file <detail log>} with {@code environment} added, output to
     * {@code log}; {@code args} name a command that logs to a file ({@code run}, {@code reconcile}).
     */
    static LockstepProcess start(Path jar, Map<String, String> environment, Path log, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx512m", "-jar", jar.toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("--log-file", detailLog(log).toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().putAll(requireNonNull(environment, "environment"));
        try {
            long started = System.nanoTime();
            return new LockstepProcess(builder.start(), log, started);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
    }

    /** Where the process started with output to {@code log} writes its log: {@code x.log} → {@code x.detail.log}. */
    static Path detailLog(Path log) {
        String name = log.getFileName().toString();
        return log.resolveSibling(name.substring(0, name.length() - ".log".length()) + ".detail.log");
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Returns the exit code; the process must have exited. */
    int exitCode() {
        return process.exitValue();
    }

    /** Returns how long ago the process was started, in ms. */
    long millisSinceStart() {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /** Returns every complete line the process printed so far. */
    List<String> lines() {
        readNewLines();
        return List.copyOf(lines);
    }

    /** Returns the first line printed so far that starts with {@code prefix}. */
    Optional<String> line(String prefix) {
        readNewLines();
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst();
    }

    /** Returns true once the process printed a line starting with {@code prefix}. */
    boolean printed(String prefix) {
        return line(prefix).isPresent();
    }

    /** Kills the process with SIGKILL, waits until it is gone and returns its exit code (137 when SIGKILL did it). */
    int kill() {
        process.destroyForcibly();
        if (!awaitExit(EXIT_WAIT)) {
            throw new IllegalStateException("pid " + pid() + " still runs " + EXIT_WAIT.toSeconds()
                    + " s after SIGKILL");
        }
        return process.exitValue();
    }

    /** Sends SIGTERM and returns the exit code; falls back to SIGKILL after {@code timeout} (then empty). */
    Optional<Integer> stop(Duration timeout) {
        process.destroy();
        if (awaitExit(timeout)) {
            return Optional.of(process.exitValue());
        }
        kill();
        return Optional.empty();
    }

    /** Waits up to {@code timeout} for the process to exit by itself; returns its exit code, empty on timeout. */
    Optional<Integer> awaitExitCode(Duration timeout) {
        return awaitExit(timeout) ? Optional.of(process.exitValue()) : Optional.empty();
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

    /** Appends the complete lines written to the log since the last read (a partial last line waits). */
    private void readNewLines() {
        try (SeekableByteChannel channel = Files.newByteChannel(log)) {
            long size = channel.size();
            if (size <= readUpTo) {
                return;
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(size - readUpTo, 4 << 20));
            channel.position(readUpTo);
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // fill the buffer
            }
            byte[] bytes = buffer.array();
            int end = buffer.position();
            while (end > 0 && bytes[end - 1] != '\n') {
                end--;
            }
            if (end == 0) {
                return;
            }
            String text = new String(bytes, 0, end - 1, StandardCharsets.UTF_8);
            lines.addAll(List.of(text.split("\r?\n", -1)));
            readUpTo += end;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + log, e);
        }
    }
}
