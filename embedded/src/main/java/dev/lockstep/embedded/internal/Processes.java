package dev.lockstep.embedded.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Process checks by pid, guarded against pid reuse; never by process name. */
public final class Processes {

    private Processes() {}

    /** Returns when the process started, when the OS tells. */
    public static Optional<Instant> startInstant(ProcessHandle process) {
        return process.info().startInstant();
    }

    /**
     * Returns true when {@code pid} is alive and is the process that started at {@code started}
     * (a pid reused by a later process does not count).
     */
    public static boolean isAlive(long pid, Instant started) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(p -> startInstant(p).map(s -> sameSecond(s, started)).orElse(true))
                .isPresent();
    }

    /**
     * Returns the live process {@code pid} if its command line mentions {@code fragment}
     * (for PostgreSQL: its data directory), so that a reused pid is never touched.
     */
    public static Optional<ProcessHandle> liveProcessMentioning(long pid, String fragment) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(p -> commandLine(p).contains(fragment));
    }

    /** Asks a process to stop, then kills it if it has not stopped within {@code grace}. */
    public static void stop(ProcessHandle process, Duration grace) {
        process.destroy();
        try {
            process.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            process.destroyForcibly();
        }
    }

    private static String commandLine(ProcessHandle process) {
        Path procCmdline = Path.of("/proc", Long.toString(process.pid()), "cmdline");
        if (Files.isReadable(procCmdline)) {
            try {
                return new String(Files.readAllBytes(procCmdline), StandardCharsets.UTF_8).replace('\0', ' ');
            } catch (IOException e) {
                return "";
            }
        }
        return process.info().commandLine().orElse("");
    }

    private static boolean sameSecond(Instant a, Instant b) {
        // /proc start times have clock-tick resolution; ProcessHandle rounds them differently across calls.
        return Math.abs(a.getEpochSecond() - b.getEpochSecond()) <= 1;
    }
}
