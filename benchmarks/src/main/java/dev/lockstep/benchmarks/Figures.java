package dev.lockstep.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.List;

/** What the benchmarks share: their options, percentiles and the heap line they all end with. */
public final class Figures {

    private Figures() {}

    /** Returns the integer after {@code name} in {@code args}, or {@code fallback} when absent. */
    public static int intArg(String[] args, String name, int fallback) {
        String value = stringArg(args, name, null);
        return value == null ? fallback : Integer.parseInt(value);
    }

    /** Returns the word after {@code name} in {@code args}, or {@code fallback} when absent. */
    public static String stringArg(String[] args, String name, String fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    /** Returns the nearest-rank {@code p}-quantile (0 < p <= 1) of {@code sorted}, which must not be empty. */
    public static long percentile(List<Long> sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.size());
        return sorted.get(Math.min(sorted.size() - 1, Math.max(0, rank - 1)));
    }

    /** Returns "heap used at the end: U MiB (max M MiB, -Xmx…)", the heap of this JVM now. */
    public static String heap() {
        Runtime runtime = Runtime.getRuntime();
        String xmx = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(arg -> arg.startsWith("-Xmx")).reduce((first, last) -> last).orElse("no -Xmx");
        return String.format("heap used at the end: %d MiB (max %d MiB, %s)",
                (runtime.totalMemory() - runtime.freeMemory()) >> 20, runtime.maxMemory() >> 20, xmx);
    }
}
