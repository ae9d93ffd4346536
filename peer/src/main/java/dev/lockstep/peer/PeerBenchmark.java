package dev.lockstep.peer;

import dev.lockstep.benchmarks.EndToEndBenchmark;
import dev.lockstep.benchmarks.Figures;
import dev.lockstep.benchmarks.SourceWriter;
import dev.lockstep.benchmarks.TrackedCommits;
import dev.lockstep.embedded.EmbeddedKafka;
import dev.lockstep.embedded.EmbeddedPostgres;
import dev.lockstep.shop.AlertsWebhook;
import dev.lockstep.shop.ShopDatabase;
import dev.lockstep.shop.ShopDefinition;
import dev.lockstep.shop.ShopWorkload;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Lockstep beside its peer, Kafka Connect + Debezium PostgreSQL source + Debezium JDBC sink, on one source (the e2e
 * benchmark's shop, seed and workload), one embedded PostgreSQL (fsync and synchronous commits on) and one embedded
 * Kafka broker, measured the same way, the sides taking turns at going first.
 *
 * <p>Each round: N changes are written with both pipelines stopped, with a marker transaction after the first tenth
 * and one at the end; then each side in turn is started and timed until its target shows each marker (throughput:
 * the changes between the markers over the time between them, start-up excluded), and, running and caught up,
 * measured for latency: a writer at a fixed rate, and a probe customer committed every few ms and timed until
 * visible in the target. After the peer's turn the replica is compared with the source.
 *
 * <p>{@code java -Xmx512m -jar peer/target/lockstep-peer.jar [--changes N] [--rate N] [--seconds N] [--rounds N]},
 * from the repository root. Lockstep and the broker run in this JVM; the Connect worker in its own.
 */
public final class PeerBenchmark {

    private PeerBenchmark() {}

    /** The command line. */
    record Options(int changes, int rate, int seconds, int rounds, int pollMillis, int probeMillis, int batchSize,
            String connectHeap, Path connectLib, Path file) {

        static Options parse(String[] args) throws URISyntaxException {
            return new Options(Figures.intArg(args, "--changes", 300_000), Figures.intArg(args, "--rate", 2_000),
                    Figures.intArg(args, "--seconds", 20), Figures.intArg(args, "--rounds", 2),
                    Figures.intArg(args, "--poll-ms", 2), Figures.intArg(args, "--probe-ms", 20),
                    Figures.intArg(args, "--batch-size", 5_000), Figures.stringArg(args, "--connect-heap", "1g"),
                    Path.of(Figures.stringArg(args, "--connect-lib", defaultConnectLib().toString())),
                    Path.of(Figures.stringArg(args, "--file", ShopDefinition.EXAMPLE)));
        }

        /** connect-lib beside this jar (peer/target/connect-lib). */
        private static Path defaultConnectLib() throws URISyntaxException {
            return Path.of(PeerBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .getParent().resolve("connect-lib");
        }
    }

    /** One side's figures in one round. */
    record Turn(String side, int round, int position, Measurements.CatchUp catchUp, Measurements.Latency latency) {}

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        if (!Files.isRegularFile(options.file())) {
            System.err.println(options.file() + " not found: run from the repository root or pass --file");
            System.exit(2);
        }
        try {
            System.exit(run(options) ? 0 : 1);
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1); // engine threads left behind would keep the JVM up
        }
    }

    private static boolean run(Options options) throws Exception {
        Path base = Files.createTempDirectory("lockstep-peer-bench");
        AlertsWebhook webhook = AlertsWebhook.start();
        EmbeddedPostgres.Builder postgres = EmbeddedPostgres.builder().baseDirectory(base)
                .databases("shop", "warehouse", "replica")
                // Decoding reads flushed WAL only: the writer's asynchronous commits reach the slots within 10 ms.
                .serverConfig("wal_writer_delay", "10ms");
        try (EmbeddedPostgres pg = postgres.build().start();
                EmbeddedKafka kafka = EmbeddedKafka.builder().baseDirectory(base).build().start();
                Connection shop = pg.connect("shop");
                Connection writer = pg.connect("shop");
                Connection bulk = pg.connect("shop");
                Connection marks = pg.connect("shop");
                Connection warehouse = pg.connect("warehouse");
                Connection replica = pg.connect("replica")) {
            ShopDatabase seed = EndToEndBenchmark.SHOP;
            seed.create(shop);
            Map<String, String> environment = ShopDefinition.environment(pg.jdbcUrl("shop"), pg.user(),
                    pg.jdbcUrl("warehouse"), pg.user(), webhook.url());
            LockstepSide lockstep = new LockstepSide(options.file(), environment, kafka.bootstrapServers(), warehouse);
            PeerSide peer = new PeerSide(pg, "shop", "replica", kafka.bootstrapServers(), base.resolve("connect"),
                    options.connectLib(), options.connectHeap(), options.batchSize(), replica);
            try {
                return rounds(options, seed, lockstep, peer, shop, writer, bulk, new SourceRows(marks), replica);
            } catch (Exception e) {
                System.err.println("the end of the Connect worker's log:\n" + peer.logTail());
                throw e;
            } finally {
                lockstep.stop();
                peer.stop();
                PeerSide.dropSlot(shop);
                peer.deleteFiles();
            }
        } finally {
            webhook.close();
            Files.deleteIfExists(base); // the services removed their own directories in it
        }
    }

    private static boolean rounds(Options options, ShopDatabase seed, LockstepSide lockstep, PeerSide peer,
            Connection shop, Connection writer, Connection bulk, SourceRows marks, Connection replica)
            throws Exception {
        long snapshotRows = seed.snapshotRows();
        System.out.printf("peer benchmark (%s): shop of %,d customers, %,d products, %,d orders (snapshot of %,d "
                + "rows); per round %,d changes written while stopped, latency at %,d changes/s for %d s; %d round(s), "
                + "sides alternating%n", options.file(), seed.customers(), seed.products(), seed.orders(), snapshotRows,
                options.changes(), options.rate(), options.seconds(), options.rounds());
        System.out.print("the peer's configuration, " + peer.describe());
        ShopWorkload workload = new ShopWorkload(seed, EndToEndBenchmark.SEED);

        long started = System.nanoTime();
        lockstep.firstRun(snapshotRows, marks);
        line("Lockstep first run", String.format("deploy, snapshot of %,d rows, a marker applied, stopped: %.1f s "
                + "(not timed)", snapshotRows, (System.nanoTime() - started) / 1e9));
        started = System.nanoTime();
        peer.start();
        Measurements.await(peer, marks.marker());
        peer.stop();
        line("peer first run", String.format("worker start, snapshot of %,d rows, a marker applied, stopped: %.1f s "
                + "(not timed)", snapshotRows, (System.nanoTime() - started) / 1e9));

        try (Statement s = bulk.createStatement()) {
            s.execute("SET synchronous_commit = off"); // the catch-up's changes as fast as the source takes them
        }
        try (Statement s = writer.createStatement()) {
            s.execute("SET synchronous_commit = off"); // one synchronous writer cannot reach 2,000 changes/s here
        }
        TrackedCommits bulkCommits = new TrackedCommits(bulk);
        SourceRows bulkMarks = new SourceRows(bulk);
        List<Turn> turns = new ArrayList<>();
        boolean replicaEqual = true;
        for (int round = 1; round <= options.rounds(); round++) {
            long writeStarted = System.nanoTime();
            SourceWriter.Written tenth = SourceWriter.write(workload, bulkCommits, options.changes() / 10,
                    0, () -> false, c -> { });
            SourceRows.Marker first = bulkMarks.marker();
            SourceWriter.Written rest = SourceWriter.write(workload, bulkCommits, options.changes()
                    - tenth.changes(), 0, () -> false, c -> { });
            SourceRows.Marker last = bulkMarks.marker();
            SourceWriter.awaitFlushed(bulk, last.lsn());
            long changes = tenth.changes() + rest.changes();
            System.out.printf("%nround %d of %d, %s first%n", round, options.rounds(), round % 2 == 1 ? "Lockstep"
                    : "peer");
            line("source", String.format("%,d changes in %,d transactions written in %.1f s (synchronous_commit off), "
                    + "a marker after the first %,d", changes, tenth.transactions() + rest.transactions(),
                    (System.nanoTime() - writeStarted) / 1e9, tenth.changes()));
            List<Side> order = round % 2 == 1 ? List.of(lockstep, peer) : List.of(peer, lockstep);
            for (int position = 0; position < order.size(); position++) {
                Side side = order.get(position);
                Measurements.CatchUp catchUp = Measurements.catchUp(side, first, last, changes, rest.changes());
                line(side.name() + " catch-up", String.format("%,d changes at %,.0f changes/s between the markers "
                        + "(%,d changes in %.1f s); from the start call %,.0f changes/s (%.1f s; start returned after "
                        + "%.1f s)", changes, catchUp.steadyRate(), rest.changes(), catchUp.lastSeconds()
                        - catchUp.firstSeconds(), catchUp.rateFromStart(), catchUp.lastSeconds(),
                        catchUp.startSeconds()));
                Measurements.await(side, marks.marker()); // whatever the other side's latency phase wrote
                Measurements.Latency latency = Measurements.latency(side, workload, writer, marks, options.rate(),
                        options.seconds(), options.probeMillis(), options.pollMillis());
                line(side.name() + " latency", String.format("commit -> visible p50 %.1f ms, p99 %.1f ms, max %.1f "
                        + "ms (%,d probes, one every %d ms; target polled every %d ms)", latency.percentile(0.5) / 1e6,
                        latency.percentile(0.99) / 1e6, latency.max() / 1e6, latency.nanos().size(),
                        latency.probeMillis(), options.pollMillis()));
                line("", String.format("writer reached %,.0f changes/s (%,d changes; asked %,d; asynchronous "
                        + "commits), probes synchronous", latency.writtenRate(), latency.writtenChanges(),
                        options.rate()));
                if (side == peer) {
                    Measurements.await(peer, marks.marker());
                    line("replica check", "source and replica, after the peer caught up with a final marker:");
                    replicaEqual &= ReplicaCheck.check(shop, replica);
                }
                side.stop();
                turns.add(new Turn(side.name(), round, position + 1, catchUp, latency));
            }
        }
        summary(turns);
        System.out.println(Figures.heap());
        if (!replicaEqual) {
            System.out.println("THE REPLICA DIFFERS FROM THE SOURCE: the peer's figures are not valid");
        }
        return replicaEqual;
    }

    private static void summary(List<Turn> turns) {
        System.out.printf("%nsummary (throughput: changes/s between the markers; latency: commit -> visible)%n");
        System.out.printf("%-6s %-9s %-5s %12s %10s %10s %10s%n", "round", "side", "turn", "changes/s", "p50 ms",
                "p99 ms", "max ms");
        for (Turn t : turns) {
            System.out.printf("%-6d %-9s %-5d %,12.0f %10.1f %10.1f %10.1f%n", t.round(), t.side(), t.position(),
                    t.catchUp().steadyRate(), t.latency().percentile(0.5) / 1e6, t.latency().percentile(0.99) / 1e6,
                    t.latency().max() / 1e6);
        }
        double throughput = 0;
        double p99 = 0;
        int rounds = 0;
        for (int i = 0; i + 1 < turns.size(); i += 2) {
            Turn lockstep = turns.get(i).side().equals("Lockstep") ? turns.get(i) : turns.get(i + 1);
            Turn peer = lockstep == turns.get(i) ? turns.get(i + 1) : turns.get(i);
            double t = lockstep.catchUp().steadyRate() / peer.catchUp().steadyRate();
            double l = (double) lockstep.latency().percentile(0.99) / peer.latency().percentile(0.99);
            System.out.printf("round %d: Lockstep / peer throughput %.2f, p99 %.2f%n", lockstep.round(), t, l);
            throughput += t;
            p99 += l;
            rounds++;
        }
        System.out.printf("Lockstep / peer, mean of %d round(s): throughput %.2f (above 1: Lockstep faster), p99 %.2f "
                + "(below 1: Lockstep sooner)%n", rounds, throughput / rounds, p99 / rounds);
    }

    private static void line(String label, String figures) {
        System.out.printf("%-26s: %s%n", label, figures);
    }

}
