package dev.lockstep.benchmarks.chaos;

import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Problem;
import dev.lockstep.shop.ShopDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * {@code chaos}: runs the shop example end to end {@code --runs} times, each time killing {@code lockstep run} with
 * SIGKILL {@code --kills} times at seeded moments (start-up, initial snapshot, streaming under load, catch-up) and
 * restarting it, then checks that the warehouse matches the source exactly. Prints one block per run and a summary;
 * exits 0 only when every run passed. See docs/reliability.md.
 */
public final class ChaosMain {

    static final Path DEFINITION = Path.of(ShopDefinition.EXAMPLE);

    private ChaosMain() {}

    public static void main(String[] args) throws IOException {
        ChaosOptions options;
        try {
            options = ChaosOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("chaos: " + e.getMessage() + "\nusage: " + ChaosOptions.USAGE);
            System.exit(2);
            return;
        }
        if (!Files.isRegularFile(options.jar())) {
            exit(2, options.jar() + " not found: build it first (mvn -B -q install -DskipTests), or pass --jar");
        }
        if (!Files.isRegularFile(DEFINITION)) {
            exit(2, DEFINITION + " not found: run from the repository's root");
        }
        PipelineDefinition definition = definition();
        Path base = Files.createTempDirectory("lockstep-chaos-");
        System.out.printf("chaos: %d run(s), %d kill(s) each, workload of %,d changes at %,.0f changes/s, %s; "
                + "lockstep: %s; shop of %,d customers, %,d products, %,d orders; run directories under %s%n",
                options.runs(), options.kills(), options.changes(), options.rate(), options.runSeed().isPresent()
                        ? "run seed " + options.runSeed().getAsLong() : "seed " + options.seed(), options.jar(),
                ChaosRun.SHOP.customers(), ChaosRun.SHOP.products(), ChaosRun.SHOP.orders(), base);
        List<RunReport> reports = new ArrayList<>();
        for (int i = 0; i < options.runs(); i++) {
            long runSeed = options.runSeed().orElse(KillSchedule.runSeed(options.seed(), i));
            RunReport report = new RunReport(i + 1, options.runs(), runSeed, base.resolve(String.format("run-%02d",
                    i + 1)));
            System.out.printf("%nrun %d/%d  seed %d: starting…%n", i + 1, options.runs(), runSeed);
            System.out.flush();
            new ChaosRun(options, DEFINITION, definition, report).run();
            boolean keep = options.keep() || !report.passed();
            if (!keep) {
                deleteRecursively(report.directory());
            }
            report.print(System.out, options.replay(runSeed), keep);
            reports.add(report);
        }
        deleteIfEmpty(base);
        long passed = reports.stream().filter(RunReport::passed).count();
        System.out.println();
        System.out.println(coverage(reports));
        System.out.println(rates(reports));
        System.out.printf("chaos: %d/%d passed (%s)%n", passed, reports.size(), options.runSeed().isPresent()
                ? "run seed " + options.runSeed().getAsLong() : "seed " + options.seed());
        System.exit(passed == reports.size() ? 0 : 1);
    }

    private static PipelineDefinition definition() {
        ParsedDefinition parsed = DefinitionParser.create().parse(DEFINITION);
        if (parsed.definition().isEmpty()) {
            exit(2, DEFINITION + " is not valid:\n" + parsed.errors().stream().map(Problem::format)
                    .collect(Collectors.joining("\n")));
        }
        return parsed.definition().orElseThrow();
    }

    /** "kills by phase observed: start-up 5, snapshot 10, …", over every run. */
    static String coverage(List<RunReport> reports) {
        Map<Phase, Integer> counts = new EnumMap<>(Phase.class);
        reports.stream().flatMap(r -> r.kills().stream()).forEach(k -> counts.merge(k.hit().observed(), 1,
                Integer::sum));
        return "kills by phase observed: " + Stream.of(Phase.values()).map(p -> p.label() + " "
                + counts.getOrDefault(p, 0)).collect(Collectors.joining(", "));
    }

    /** "source transactions/s reached: min …, median …, max … (N runs)", over runs whose workload ran. */
    static String rates(List<RunReport> reports) {
        List<Double> rates = reports.stream().map(RunReport::workload).filter(w -> w != null)
                .map(RunReport.Workload::transactionsPerSecond).sorted().toList();
        if (rates.isEmpty()) {
            return "source transactions/s reached: no workload ran";
        }
        return String.format("source transactions/s reached: min %,.0f, median %,.0f, max %,.0f (%d run(s))",
                rates.get(0), rates.get(rates.size() / 2), rates.get(rates.size() - 1), rates.size());
    }

    private static void exit(int code, String message) {
        System.err.println("chaos: " + message);
        System.exit(code);
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static void deleteIfEmpty(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            if (entries.findAny().isEmpty()) {
                Files.delete(directory);
            }
        }
    }
}
