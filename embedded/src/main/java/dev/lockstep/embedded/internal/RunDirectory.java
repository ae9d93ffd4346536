package dev.lockstep.embedded.internal;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A directory owned by one run of an embedded service, recorded with the owning JVM's pid and start time.
 *
 * <p>A run that was killed leaves its directory (and, for PostgreSQL, its server process) behind. The next
 * start under the same base directory finds such runs by their recorded owner — never by process name — and
 * hands them to a reaper before deleting them. Not thread-safe; each service owns its own instance.
 */
public final class RunDirectory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RunDirectory.class);
    static final String OWNER_FILE = "lockstep-owner.properties";

    private final Path path;
    private boolean deleted;

    private RunDirectory(Path path) {
        this.path = path;
    }

    /**
     * Reaps stale runs of {@code kind} under {@code base}, then creates a fresh run directory owned by this JVM.
     *
     * @param reaper called with the directory of each stale run before it is deleted; stops what it left running
     */
    public static RunDirectory create(Path base, String kind, Consumer<Path> reaper) {
        requireNonNull(base, "base");
        requireNonNull(kind, "kind");
        try {
            Files.createDirectories(base);
            reapStale(base, kind, reaper);
            Path dir = base.resolve(kind + "-" + UUID.randomUUID());
            Files.createDirectories(dir);
            writeOwner(dir, kind);
            return new RunDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare run directory under " + base, e);
        }
    }

    /** Returns the run's directory; it exists until {@link #close()}. */
    public Path path() {
        return path;
    }

    /** Deletes the run's directory and everything in it; idempotent. */
    @Override
    public void close() {
        if (deleted) {
            return;
        }
        deleteRecursively(path);
        deleted = true;
    }

    /** Deletes a directory tree, ignoring files that vanish meanwhile. */
    public static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.warn("Could not delete {}: {}", p, e.toString());
                }
            });
        } catch (IOException e) {
            LOG.warn("Could not delete {}: {}", dir, e.toString());
        }
    }

    private static void reapStale(Path base, String kind, Consumer<Path> reaper) throws IOException {
        try (DirectoryStream<Path> runs = Files.newDirectoryStream(base, kind + "-*")) {
            for (Path run : runs) {
                if (!Files.isDirectory(run) || ownerAlive(run)) {
                    continue;
                }
                LOG.info("Removing leftovers of a previous {} run that did not stop: {}", kind, run);
                reaper.accept(run);
                deleteRecursively(run);
            }
        }
    }

    /** A run whose owner record is missing or unreadable counts as alive only while it is very young. */
    private static boolean ownerAlive(Path run) {
        Path file = run.resolve(OWNER_FILE);
        if (!Files.exists(file)) {
            return isYoung(run);
        }
        Properties owner = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            owner.load(in);
            long pid = Long.parseLong(owner.getProperty("pid"));
            Instant started = Instant.parse(owner.getProperty("started"));
            return Processes.isAlive(pid, started);
        } catch (IOException | RuntimeException e) {
            return isYoung(run);
        }
    }

    private static boolean isYoung(Path run) {
        try {
            return Files.getLastModifiedTime(run).toInstant().isAfter(Instant.now().minusSeconds(60));
        } catch (IOException e) {
            return false;
        }
    }

    private static void writeOwner(Path dir, String kind) throws IOException {
        ProcessHandle self = ProcessHandle.current();
        Properties owner = new Properties();
        owner.setProperty("kind", kind);
        owner.setProperty("pid", Long.toString(self.pid()));
        owner.setProperty("started", Processes.startInstant(self).orElse(Instant.EPOCH).toString());
        Path tmp = dir.resolve(OWNER_FILE + ".tmp");
        try (Writer out = Files.newBufferedWriter(tmp)) {
            owner.store(out, "owner of this embedded " + kind + " run");
        }
        Files.move(tmp, dir.resolve(OWNER_FILE));
    }
}
