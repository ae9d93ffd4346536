package dev.lockstep.benchmarks;

import java.util.Arrays;

/** Entry point: {@code java -jar benchmarks/target/lockstep-benchmarks.jar <benchmark> [options]}. */
public final class Benchmarks {

    private Benchmarks() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: lockstep-benchmarks startup [--runs N]");
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "startup" -> EmbeddedStartupBenchmark.main(rest);
            default -> {
                System.err.println("unknown benchmark '" + args[0] + "'; known: startup");
                System.exit(2);
            }
        }
    }
}
