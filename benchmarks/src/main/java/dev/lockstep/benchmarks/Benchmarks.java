package dev.lockstep.benchmarks;

import java.util.Arrays;

/** Entry point: {@code java -jar benchmarks/target/lockstep-benchmarks.jar <benchmark> [options]}. */
public final class Benchmarks {

    private Benchmarks() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: lockstep-benchmarks startup [--runs N] | extract [--changes N] [--rate N] "
                    + "[--seconds N] | apply [--changes N] [--batch-size N] [--repeat] [--statements] [--explain MS] "
                    + "[--keep S]");
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "startup" -> EmbeddedStartupBenchmark.main(rest);
            case "extract" -> ExtractBenchmark.main(rest);
            case "apply" -> ApplyBenchmark.main(rest);
            default -> {
                System.err.println("unknown benchmark '" + args[0] + "'; known: startup, extract, apply");
                System.exit(2);
            }
        }
    }
}
