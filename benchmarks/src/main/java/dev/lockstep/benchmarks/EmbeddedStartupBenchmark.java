package dev.lockstep.benchmarks;

import dev.lockstep.embedded.EmbeddedKafka;
import dev.lockstep.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Cold start times of the embedded services: PostgreSQL (initdb of a fresh data directory, start, two
 * databases) and Kafka (format a fresh log directory, start, broker ready). The first PostgreSQL run also
 * unpacks the binaries into an empty directory, and the first Kafka run loads the broker's classes: run 0 is
 * reported apart. Prints one line per run and a summary.
 */
public final class EmbeddedStartupBenchmark {

    private EmbeddedStartupBenchmark() {}

    public static void main(String[] args) throws Exception {
        int runs = args.length >= 2 && args[0].equals("--runs") ? Integer.parseInt(args[1]) : 5;
        Path base = Files.createTempDirectory("lockstep-startup-bench");
        Path binaries = base.resolve("binaries");
        List<Long> postgres = new ArrayList<>();
        List<Long> kafka = new ArrayList<>();
        long firstPostgres = 0;
        long firstKafka = 0;
        for (int run = 0; run <= runs; run++) {
            long t0 = System.nanoTime();
            try (EmbeddedPostgres pg = EmbeddedPostgres.builder().baseDirectory(base.resolve("runs"))
                    .binariesDirectory(binaries).databases("shop", "warehouse").build().start()) {
                long ms = (System.nanoTime() - t0) / 1_000_000;
                if (run == 0) {
                    firstPostgres = ms;
                } else {
                    postgres.add(ms);
                }
            }
            long t1 = System.nanoTime();
            try (EmbeddedKafka k = EmbeddedKafka.builder().baseDirectory(base.resolve("runs")).build().start()) {
                long ms = (System.nanoTime() - t1) / 1_000_000;
                if (run == 0) {
                    firstKafka = ms;
                } else {
                    kafka.add(ms);
                }
            }
            if (run > 0) {
                System.out.printf("run %d: postgres %d ms, kafka %d ms%n", run, postgres.get(run - 1),
                        kafka.get(run - 1));
            }
        }
        System.out.printf("first start in this JVM: postgres %d ms (binaries unpacked too), kafka %d ms "
                + "(classes loaded too)%n", firstPostgres, firstKafka);
        System.out.printf("postgres cold start (initdb + start + 2 databases): median %d ms, min %d, max %d (%d runs)%n",
                median(postgres), Collections.min(postgres), Collections.max(postgres), runs);
        System.out.printf("kafka cold start (format + start + ready): median %d ms, min %d, max %d (%d runs)%n",
                median(kafka), Collections.min(kafka),
                Collections.max(kafka), runs);
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
