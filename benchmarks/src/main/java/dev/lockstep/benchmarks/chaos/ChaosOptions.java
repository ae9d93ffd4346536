package dev.lockstep.benchmarks.chaos;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/** The chaos program's command line; {@link #parse} rejects unknown options and out-of-range values by name. */
record ChaosOptions(int runs, int kills, double rate, long seed, long changes, Path jar, boolean keep,
        OptionalLong runSeed) {

    /** Seconds of workload the default {@code --changes} gives at the chosen rate. */
    static final int DEFAULT_WORKLOAD_SECONDS = 50;

    static final String USAGE = "chaos [--runs N] [--kills K] [--rate CHANGES_PER_S] [--seed S] [--changes N] "
            + "[--jar app/target/lockstep.jar] [--keep] [--run-seed S --runs 1]";

    private static final List<String> OPTIONS = List.of("--runs", "--kills", "--rate", "--seed", "--changes", "--jar",
            "--keep", "--run-seed");

    /** Parses {@code args}; throws {@link IllegalArgumentException} saying which option is wrong and why. */
    static ChaosOptions parse(String[] args) {
        int runs = -1;
        int kills = 5;
        double rate = 1_500;
        long seed = 42;
        long changes = -1;
        Path jar = Path.of("app/target/lockstep.jar");
        boolean keep = false;
        OptionalLong runSeed = OptionalLong.empty();
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--keep")) {
                keep = true;
                continue;
            }
            if (!OPTIONS.contains(option)) {
                throw new IllegalArgumentException("unknown option '" + option + "'; allowed: "
                        + String.join(", ", OPTIONS));
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            String value = args[++i];
            switch (option) {
                case "--runs" -> runs = (int) whole(option, value, 1, 10_000);
                case "--kills" -> kills = (int) whole(option, value, 0, 1_000);
                case "--rate" -> rate = number(option, value, 1);
                case "--seed" -> seed = longValue(option, value);
                case "--changes" -> changes = whole(option, value, 1, Long.MAX_VALUE);
                case "--jar" -> jar = Path.of(value);
                case "--run-seed" -> runSeed = OptionalLong.of(longValue(option, value));
                default -> throw new IllegalStateException(option);
            }
        }
        if (runSeed.isPresent() && runs > 1) {
            throw new IllegalArgumentException("--run-seed replays one run; use it with --runs 1 (or without --runs)");
        }
        if (runs < 0) {
            runs = runSeed.isPresent() ? 1 : 20;
        }
        if (changes < 0) {
            changes = Math.round(rate * DEFAULT_WORKLOAD_SECONDS);
        }
        return new ChaosOptions(runs, kills, rate, seed, changes, jar, keep, runSeed);
    }

    /** Returns how the command line replays the run of {@code seedOfRun}. */
    String replay(long seedOfRun) {
        return String.format("java -Xmx768m -jar benchmarks/target/lockstep-benchmarks.jar chaos --run-seed %d "
                + "--runs 1 --kills %d --rate %s --changes %d --jar %s", seedOfRun, kills, plain(rate), changes, jar);
    }

    private static double number(String option, String value, double min) {
        double parsed;
        try {
            parsed = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + value + "' is not a number");
        }
        if (parsed < min || Double.isNaN(parsed) || Double.isInfinite(parsed)) {
            throw new IllegalArgumentException(option + ": " + value + " is not allowed; use " + plain(min)
                    + " or more");
        }
        return parsed;
    }

    private static long whole(String option, String value, long min, long max) {
        long parsed = longValue(option, value);
        if (parsed < min || parsed > max) {
            throw new IllegalArgumentException(option + ": " + value + " is not allowed; use " + min + " to " + max);
        }
        return parsed;
    }

    private static long longValue(String option, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + value + "' is not a whole number");
        }
    }

    private static String plain(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
