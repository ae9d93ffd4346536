package dev.lockstep.benchmarks.chaos;

import dev.lockstep.control.QuarantineStore;
import dev.lockstep.core.definition.OnFail;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.QualityRule;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Checks of the shop's warehouse after a chaos run, beside {@code lockstep reconcile}: the SCD 2 chains of
 * {@code dim_customer}, its versions per customer against the workload's own record, and the quarantine ledger's
 * open rows against the definition's quarantining rules. Each check gives one line; a failing one says what differs.
 */
final class WarehouseChecks {

    /** One check's outcome: a line that says what was found. */
    record Outcome(boolean pass, String line) {}

    private static final int SAMPLES = 5;

    /** Per customer of the dimension (%s): versions, current ones, deleted last, gaps, overlaps, empty versions. */
    private static final String CHAINS = """
            WITH v AS (
              SELECT id, valid_from, valid_to, is_current, is_deleted,
                     lead(valid_from) OVER (PARTITION BY id ORDER BY valid_from) AS next_from,
                     row_number() OVER (PARTITION BY id ORDER BY valid_from DESC) AS from_end
              FROM %s WHERE customer_key <> -1 AND NOT is_inferred)
            SELECT id, count(*) AS versions,
                   count(*) FILTER (WHERE is_current) AS current_versions,
                   bool_or(from_end = 1 AND is_deleted) AS deleted_last,
                   count(*) FILTER (WHERE valid_to < next_from) AS gaps,
                   count(*) FILTER (WHERE valid_to > next_from) AS overlapping,
                   count(*) FILTER (WHERE valid_from >= valid_to) AS empty
            FROM v GROUP BY id ORDER BY id
            """;

    private final Connection warehouse;
    private final PipelineDefinition definition;
    private final String dimension;

    /** Checks over {@code warehouse}, for {@code definition} (the shop's: its {@code customer} dimension is SCD 2). */
    WarehouseChecks(Connection warehouse, PipelineDefinition definition) {
        this.warehouse = warehouse;
        this.definition = definition;
        this.dimension = definition.warehouse().schema() + ".dim_customer";
    }

    /** Runs every check; {@code expectedVersions} is the shop's oracle's ({@code ExpectedCustomerVersions}). */
    List<Outcome> run(Map<Long, Integer> expectedVersions) throws SQLException {
        return List.of(chains(), versions(expectedVersions), quarantine());
    }

    /**
     * Per customer, ordered by {@code valid_from}: each version ends where the next begins (no gap, no overlap), no
     * version is empty, and exactly one is current — none when the last version is a delete.
     */
    Outcome chains() throws SQLException {
        String sql = CHAINS.formatted(dimension);
        long keys = 0;
        long versions = 0;
        List<String> broken = new ArrayList<>();
        try (Statement s = warehouse.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                keys++;
                versions += rs.getLong(2);
                String problems = chainProblems(rs.getLong(3), rs.getBoolean(4), rs.getLong(5), rs.getLong(6),
                        rs.getLong(7));
                if (!problems.isEmpty()) {
                    broken.add(rs.getLong(1) + " (" + problems + ")");
                }
            }
        }
        if (broken.isEmpty()) {
            return new Outcome(true, String.format("SCD 2 chains of %s intact: %,d customers, %,d versions, one "
                    + "current version each (none once deleted), no gaps or overlaps", dimension, keys, versions));
        }
        return new Outcome(false, String.format("SCD 2 chains of %s: %,d of %,d customers broken: %s", dimension,
                broken.size(), keys, samples(broken)));
    }

    /** Versions per customer in the warehouse equal the workload's record of the source's tracked changes. */
    Outcome versions(Map<Long, Integer> expected) throws SQLException {
        Map<Long, Integer> actual = new TreeMap<>();
        try (Statement s = warehouse.createStatement(); ResultSet rs = s.executeQuery("SELECT id, count(*) FROM "
                + dimension + " WHERE customer_key <> -1 AND NOT is_inferred GROUP BY id")) {
            while (rs.next()) {
                actual.put(rs.getLong(1), rs.getInt(2));
            }
        }
        List<String> differ = new ArrayList<>();
        for (long id : union(expected, actual)) {
            Integer want = expected.get(id);
            Integer got = actual.get(id);
            if (!Objects.equals(want, got)) {
                differ.add(id + ": expected " + (want == null ? "none" : want) + ", warehouse "
                        + (got == null ? "none" : got));
            }
        }
        long withHistory = expected.values().stream().filter(v -> v > 1).count();
        if (differ.isEmpty()) {
            return new Outcome(true, String.format("SCD 2 versions per customer = the workload's record: %,d "
                    + "customers, %,d with history", expected.size(), withHistory));
        }
        return new Outcome(false, String.format("SCD 2 versions per customer: %,d customers differ from the "
                + "workload's record (%,d expected, %,d in the warehouse): %s", differ.size(), expected.size(),
                actual.size(), samples(differ)));
    }

    /** Every open ledger row was diverted by a quarantining rule of the definition, on that rule's target. */
    Outcome quarantine() throws SQLException {
        Map<String, String> rules = definition.quality().stream()
                .filter(r -> r.kind().perRow() && r.onFail() == OnFail.QUARANTINE)
                .collect(Collectors.toMap(QualityRule::name, QualityRule::target, (a, b) -> a, TreeMap::new));
        Map<String, Long> open = new TreeMap<>();
        for (QuarantineStore.Count count : new QuarantineStore(warehouse, definition.pipeline()).counts()) {
            if (count.open() > 0) {
                open.put(count.rule() + " on " + count.target(), count.open());
            }
        }
        long total = open.values().stream().mapToLong(Long::longValue).sum();
        Set<String> allowed = rules.entrySet().stream().map(r -> r.getKey() + " on " + r.getValue())
                .collect(Collectors.toSet());
        List<String> foreign = open.entrySet().stream().filter(e -> !allowed.contains(e.getKey()))
                .map(e -> e.getKey() + " (" + e.getValue() + ")").toList();
        String counts = open.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", "));
        if (total == 0) {
            return new Outcome(false, "quarantine: no open ledger rows, though the workload writes rows the rules "
                    + "quarantine");
        }
        if (!foreign.isEmpty()) {
            return new Outcome(false, String.format("quarantine: open ledger rows not diverted by a quarantining "
                    + "rule of the definition (%s): %s", String.join(", ", rules.keySet()), samples(foreign)));
        }
        return new Outcome(true, String.format("quarantine: %,d open ledger rows, all from the definition's "
                + "quarantining rules (%s)", total, counts));
    }

    private static String chainProblems(long current, boolean deleted, long gaps, long overlaps, long empty) {
        List<String> problems = new ArrayList<>();
        long wanted = deleted ? 0 : 1;
        if (current != wanted) {
            problems.add(current + " current version(s)" + (deleted ? " after its delete" : ""));
        }
        if (gaps > 0) {
            problems.add(gaps + " gap(s)");
        }
        if (overlaps > 0) {
            problems.add(overlaps + " overlap(s)");
        }
        if (empty > 0) {
            problems.add(empty + " empty version(s)");
        }
        return String.join(", ", problems);
    }

    private static Set<Long> union(Map<Long, Integer> a, Map<Long, Integer> b) {
        Set<Long> keys = new TreeSet<>(a.keySet());
        keys.addAll(b.keySet());
        return keys;
    }

    private static String samples(List<String> items) {
        String shown = String.join("; ", items.subList(0, Math.min(SAMPLES, items.size())));
        return items.size() > SAMPLES ? shown + "; …" : shown;
    }
}
