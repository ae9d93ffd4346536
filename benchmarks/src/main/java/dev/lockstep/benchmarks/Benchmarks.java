package dev.lockstep.benchmarks;

import dev.lockstep.benchmarks.chaos.ChaosMain;
import java.util.Arrays;

/** Entry point: {@code java -jar benchmarks/target/lockstep-benchmarks.jar <benchmark> [options]}. */
public final class Benchmarks {

    private Benchmarks() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: lockstep-benchmarks startup [--runs N] | extract [--changes N] [--rate N] "
                    + "[--seconds N] | apply [--changes N] [--batch-size N] [--repeat] [--statements] [--explain MS] "
                    + "[--keep S] | batch-cost [--batches N] | e2e [--changes N] [--warmup N] [--rate N] [--settle S] [--seconds N] [--poll-ms N] [--file F] "
                    + "[--async-commit] [--statements] [--explain MS] [--cpu] [--separate-warehouse] [--pg K=V,...] | rebuild [--rate N] [--chunk-size N] [--settle S] [--after S] [--customers N --orders N] | demo-startup [--runs N] [--jar J] | chaos [--runs N] [--kills K] [--rate N] "
                    + "[--seed S] [--changes N] [--jar J] [--keep] [--run-seed S --runs 1]");
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            switch (args[0]) {
                case "startup" -> EmbeddedStartupBenchmark.main(rest);
                case "extract" -> ExtractBenchmark.main(rest);
                case "apply" -> ApplyBenchmark.main(rest);
                case "batch-cost" -> BatchCostBenchmark.main(rest);
                case "e2e" -> EndToEndBenchmark.main(rest);
                case "rebuild" -> RebuildBenchmark.main(rest);
                case "demo-startup" -> DemoStartupBenchmark.main(rest);
                case "chaos" -> ChaosMain.main(rest);
                default -> {
                    System.err.println("unknown benchmark '" + args[0] + "'; known: startup, extract, apply, batch-cost, e2e, rebuild, "
                            + "demo-startup, chaos");
                    System.exit(2);
                }
            }
        } catch (Exception e) {
            // A failed benchmark can leave engine threads behind that would keep the JVM up.
            e.printStackTrace();
            System.exit(1);
        }
    }
}
