package dev.lockstep.peer;

import dev.lockstep.benchmarks.Figures;
import dev.lockstep.benchmarks.SourceWriter;
import dev.lockstep.benchmarks.TrackedCommits;
import dev.lockstep.shop.ShopWorkload;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/** The two measurements, made the same way on either {@link Side}: catch-up and commit-to-visible latency. */
final class Measurements {

    private static final Duration TIMEOUT = Duration.ofMinutes(30);
    private static final long ALIVE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private Measurements() {}

    /**
     * A catch-up: seconds from the start call to the first marker and to the last one being visible, and the changes
     * written before the last marker and between the two.
     */
    record CatchUp(long changes, long steadyChanges, double startSeconds, double firstSeconds, double lastSeconds) {

        /** Changes/s between the two markers: start-up and the first tenth of the changes excluded. */
        double steadyRate() {
            return steadyChanges / (lastSeconds - firstSeconds);
        }

        /** Changes/s from the start call, start-up included (what the e2e benchmark prints). */
        double rateFromStart() {
            return changes / lastSeconds;
        }
    }

    /** Latencies of the probes (sorted, ns), and the rate the writer reached beside them. */
    record Latency(List<Long> nanos, double writtenRate, long writtenChanges, int probeMillis) {

        long percentile(double p) {
            return Figures.percentile(nanos, p);
        }

        long max() {
            return nanos.get(nanos.size() - 1);
        }
    }

    /**
     * Starts {@code side} (stopped, with {@code first} and {@code last} committed on the source since it last ran)
     * and times it until it reflects each marker, polling every 10 ms.
     */
    static CatchUp catchUp(Side side, SourceRows.Marker first, SourceRows.Marker last, long changes, long steadyChanges)
            throws Exception {
        long started = System.nanoTime();
        side.start();
        double startSeconds = (System.nanoTime() - started) / 1e9;
        long firstSeen = 0;
        long deadline = started + TIMEOUT.toNanos();
        long nextCheck = 0;
        while (true) {
            long now = System.nanoTime();
            if (firstSeen == 0 && side.reflects(first)) {
                firstSeen = now;
            }
            if (firstSeen != 0 && side.reflects(last)) {
                return new CatchUp(changes, steadyChanges, startSeconds, (firstSeen - started) / 1e9,
                        (now - started) / 1e9);
            }
            nextCheck = checkAlive(side, now, nextCheck, deadline);
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    /** Waits until the running {@code side} reflects {@code marker}. */
    static void await(Side side, SourceRows.Marker marker) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        long nextCheck = 0;
        while (!side.reflects(marker)) {
            nextCheck = checkAlive(side, System.nanoTime(), nextCheck, deadline);
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    /**
     * With {@code side} running and caught up: a writer commits workload transactions at {@code rate} changes/s for
     * {@code seconds} on {@code writer}; beside it a probe customer is committed every {@code probeMillis} through
     * {@code probes} (synchronous commits), and each probe is timed from its commit returning on the client until
     * {@code side}'s target shows it, the target polled every {@code pollMillis}.
     */
    static Latency latency(Side side, ShopWorkload workload, Connection writer, SourceRows probes, int rate,
            int seconds, int probeMillis, int pollMillis) throws Exception {
        Queue<long[]> pending = new ConcurrentLinkedQueue<>(); // {probe id, commit nanos}
        AtomicReference<Exception> failure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        SourceWriter.Written[] written = new SourceWriter.Written[1];
        TrackedCommits tracked = new TrackedCommits(writer);
        Thread writing = new Thread(() -> {
            try {
                written[0] = SourceWriter.write(workload, tracked, (long) rate * seconds, rate, stop::get,
                        c -> { });
            } catch (SQLException | RuntimeException e) {
                failure.set(e);
            }
        }, "peer-bench-writer");
        Thread probing = new Thread(() -> {
            try {
                long next = System.nanoTime();
                while (writing.isAlive() && !stop.get()) {
                    long id = probes.probe();
                    pending.add(new long[] {id, probes.lastCommitNanos()});
                    next += TimeUnit.MILLISECONDS.toNanos(probeMillis);
                    LockSupport.parkNanos(next - System.nanoTime());
                }
            } catch (SQLException | RuntimeException e) {
                failure.set(e);
            }
        }, "peer-bench-probe");
        List<Long> nanos = new ArrayList<>();
        writing.start();
        probing.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds) + TIMEOUT.toNanos();
            long nextCheck = 0;
            long pollNanos = TimeUnit.MILLISECONDS.toNanos(pollMillis);
            while (probing.isAlive() || !pending.isEmpty()) {
                if (failure.get() != null) {
                    throw failure.get();
                }
                long visible = side.lastProbe();
                long seen = System.nanoTime();
                for (long[] head = pending.peek(); head != null && head[0] <= visible; head = pending.peek()) {
                    pending.poll();
                    nanos.add(seen - head[1]);
                }
                nextCheck = checkAlive(side, seen, nextCheck, deadline);
                LockSupport.parkNanos(pollNanos);
            }
        } finally {
            stop.set(true);
            writing.join();
            probing.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        Collections.sort(nanos);
        return new Latency(nanos, written[0].changes() / (written[0].nanos() / 1e9), written[0].changes(),
                probeMillis);
    }

    private static long checkAlive(Side side, long now, long nextCheck, long deadline) {
        if (now > deadline) {
            throw new IllegalStateException(side.name() + " did not catch up within " + TIMEOUT);
        }
        if (now < nextCheck) {
            return nextCheck;
        }
        side.checkAlive();
        return now + ALIVE_CHECK_NANOS;
    }
}
