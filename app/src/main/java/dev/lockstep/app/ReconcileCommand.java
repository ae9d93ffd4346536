package dev.lockstep.app;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.PostgresConnection;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.runtime.ExactPosition;
import dev.lockstep.runtime.PipelineFiles;
import dev.lockstep.runtime.PipelineStatus;
import dev.lockstep.runtime.PostgresConnections;
import dev.lockstep.runtime.WarehouseDeployment;
import dev.lockstep.warehouse.star.Reconciliation;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code lockstep reconcile}: waits until the warehouse has applied everything the source had committed when the
 * command started, then compares source and warehouse exactly — row counts, sums of every numeric measure, a per-key hash of
 * every dimension's current attributes, the SCD 2 version chains — with quarantined rows accounted for.
 */
@Command(name = "reconcile",
        description = "Compare the source with the warehouse, exactly, at one stream position. While `lockstep run` "
                + "applies the pipeline: the source in a snapshot at a known WAL position (a temporary replication "
                + "slot), the warehouse in the snapshot the running applier exports when it has applied everything "
                + "before that position and nothing after. Otherwise: waits until the applied position reaches the "
                + "source's WAL position at the start (or reports the remaining lag and stops after --timeout). "
                + "Then checks per target: row counts, the sum of every numeric measure (a text or date measure is "
                + "compared per key), a per-key hash of each dimension's current attributes and the SCD 2 version "
                + "chains — a key with an open quarantine row counts with its quarantined values. Prints a pass/fail "
                + "table; exit code 0 when everything matches, 5 when something differs, 6 when the warehouse did not "
                + "reach the position in time.")
final class ReconcileCommand implements Callable<Integer>, LogFileOption.LogsToFile {

    static final int DIFFERENCES = 5;
    static final int NOT_CAUGHT_UP = 6;
    private static final int SAMPLE_KEYS = 5;

    @Spec
    CommandSpec spec;

    @Mixin
    PipelineFileOptions pipeline;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "PT2M",
            description = "How long to wait for the warehouse to catch up (ISO-8601). Default: 2 minutes.")
    Duration timeout;

    /** One line of the table. */
    record Check(String target, String check, String source, String warehouse, boolean pass) {}

    @Mixin
    LogFileOption logFile;

    @Override
    public LogFileOption logFile() {
        return logFile;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        WarehouseDeployment deployment = WarehouseDeployment.inspect(pipeline.file);
        PipelineDefinition definition = deployment.definition();
        ExtractSettings settings = PipelineFiles.extractSettings(definition, pipeline.kafka.bootstrapServers);
        Optional<ExactPosition> exact;
        try {
            exact = ExactPosition.open(definition, settings, timeout);
        } catch (LockstepException e) {
            if (e.code() != ErrorCode.UNAVAILABLE) {
                throw e;
            }
            out.println("Not caught up: " + e.getMessage());
            out.flush();
            return NOT_CAUGHT_UP;
        }
        List<Check> checks;
        if (exact.isPresent()) {
            try (ExactPosition at = exact.get()) {
                out.printf("Comparing at one position while pipeline %s runs: the source as of %s, the warehouse "
                        + "applied through %s and nothing after.%n", definition.pipeline(),
                        StreamPosition.formatLsn(at.lsn()), at.applied());
                out.flush();
                String setTimeZone = deployment.star().setTimeZone();
                checks = compare(deployment, readOnly(at.source(), setTimeZone), readOnly(at.warehouse(),
                        setTimeZone));
            }
        } else {
            PostgresCdcSource.SourcePosition start = PostgresCdcSource.position(settings);
            out.printf("Source WAL position now: %s; no apply stage runs pipeline %s, waiting until the warehouse has "
                    + "applied everything before it (at most %s)…%n", StreamPosition.formatLsn(start.currentLsn()),
                    definition.pipeline(), timeout.toString().substring(2).toLowerCase());
            out.flush();
            PipelineStatus.CatchUp caughtUp = PipelineStatus.awaitCaughtUp(definition, settings, start.currentLsn(),
                    timeout);
            if (!caughtUp.reached()) {
                out.println("Not caught up: " + caughtUp.describe());
                out.flush();
                return NOT_CAUGHT_UP;
            }
            out.println("Caught up: " + caughtUp.describe());
            checks = compare(deployment);
        }
        print(out, checks);
        long failed = checks.stream().filter(c -> !c.pass()).count();
        out.println(failed == 0 ? "PASS: the warehouse (with its quarantine) matches the source."
                : "FAIL: " + failed + " check(s) differ.");
        out.flush();
        return failed == 0 ? 0 : DIFFERENCES;
    }

    /** Runs every check of {@code deployment}'s targets against its source and warehouse. */
    static List<Check> compare(WarehouseDeployment deployment) throws SQLException {
        PipelineDefinition definition = deployment.definition();
        String setTimeZone = deployment.star().setTimeZone();
        try (Connection source = open(definition.source().postgres(), setTimeZone);
                Connection warehouse = open(definition.warehouse().postgres(), setTimeZone)) {
            // One snapshot of each side: the source as of now, the warehouse as of now (both repeatable read).
            return compare(deployment, source, warehouse);
        }
    }

    /** Runs every check in the open transactions of {@code source} and {@code warehouse}, then ends both. */
    static List<Check> compare(WarehouseDeployment deployment, Connection source, Connection warehouse)
            throws SQLException {
        PipelineDefinition definition = deployment.definition();
        Reconciliation reconciliation = new Reconciliation(deployment.star(), definition.pipeline());
        List<Check> checks = new ArrayList<>();
        for (String target : reconciliation.targets()) {
            List<String> measures = reconciliation.summedMeasures(target); // the others: per key below
            List<Object> expected = row(source, reconciliation.sourceQuery(target, measures));
            List<Object> actual = row(warehouse, reconciliation.warehouseQuery(target, measures));
            checks.add(check(target, "rows", expected.get(0), actual.get(0)));
            for (int i = 0; i < measures.size(); i++) {
                checks.add(check(target, "sum(" + measures.get(i) + ")", expected.get(i + 1), actual.get(i + 1)));
            }
        }
        for (String target : reconciliation.targets()) {
            checks.add(compareRows(target, reconciliation.dimensions().contains(target) ? "attributes per key"
                    : "measures per key", source, reconciliation.sourceRows(target), warehouse,
                    reconciliation.warehouseRows(target)));
        }
        for (String fact : reconciliation.facts()) {
            List<String> references = reconciliation.references(fact);
            if (references.isEmpty()) {
                continue;
            }
            List<Object> dangling = row(warehouse, reconciliation.danglingReferences(fact));
            List<String> found = new ArrayList<>();
            for (int i = 0; i < references.size(); i++) {
                long rows = ((Number) dangling.get(i)).longValue();
                if (rows > 0) {
                    found.add(String.format("%s: %,d rows point at no member", references.get(i), rows));
                }
            }
            checks.add(new Check(fact, "dimension keys", "-", found.isEmpty() ? "all " + references.size()
                    + " resolve" : String.join("; ", found), found.isEmpty()));
        }
        for (String dimension : reconciliation.scd2Dimensions()) {
            List<Object> chains = row(warehouse, reconciliation.scd2Chains(dimension));
            long versions = ((Number) chains.get(0)).longValue();
            long keys = ((Number) chains.get(1)).longValue();
            long doubleCurrent = ((Number) chains.get(2)).longValue();
            long gaps = ((Number) chains.get(3)).longValue();
            long repeats = ((Number) chains.get(4)).longValue();
            boolean pass = doubleCurrent == 0 && gaps == 0 && repeats == 0;
            checks.add(new Check(dimension, "SCD 2 versions", "-", String.format("%,d versions of %,d keys%s",
                    versions, keys, pass ? ", chains intact" : String.format(": %d keys with 2+ current, %d "
                            + "gaps, %d repeated versions", doubleCurrent, gaps, repeats)), pass));
        }
        source.commit();
        warehouse.commit();
        return checks;
    }

    private static Check check(String target, String check, Object expected, Object actual) {
        boolean pass = expected instanceof BigDecimal e && actual instanceof BigDecimal a ? e.compareTo(a) == 0
                : Objects.equals(number(expected), number(actual));
        return new Check(target, check, format(expected), format(actual), pass);
    }

    private static Object number(Object value) {
        return value instanceof Number n && !(value instanceof BigDecimal) ? n.longValue() : value;
    }

    private static String format(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (value instanceof Number n) {
            return String.format("%,d", n.longValue());
        }
        return value.toString();
    }

    /**
     * Merges the two key-ordered lists of rows; counts keys missing on either side or whose values differ (PII
     * compared by hash, and not at all for a quarantined key, whose ledger row has it masked).
     */
    private static Check compareRows(String target, String check, Connection source, String sourceSql,
            Connection warehouse, String warehouseSql) throws SQLException {
        long keys = 0;
        long missing = 0;
        long extra = 0;
        long differ = 0;
        List<String> samples = new ArrayList<>();
        try (Statement s = source.createStatement(); Statement w = warehouse.createStatement()) {
            s.setFetchSize(5_000);
            w.setFetchSize(5_000);
            try (ResultSet left = s.executeQuery(sourceSql); ResultSet right = w.executeQuery(warehouseSql)) {
                boolean hasLeft = left.next();
                boolean hasRight = right.next();
                while (hasLeft || hasRight) {
                    int order = !hasLeft ? 1 : !hasRight ? -1 : left.getString(1).compareTo(right.getString(1));
                    if (order == 0) {
                        keys++;
                        String pii = right.getString(3);
                        if (!left.getString(2).equals(right.getString(2))
                                || (pii != null && !pii.equals(left.getString(3)))) {
                            differ++;
                            sample(samples, left.getString(1) + " source " + left.getString(2) + " warehouse "
                                    + right.getString(2));
                        }
                        hasLeft = left.next();
                        hasRight = right.next();
                    } else if (order < 0) {
                        keys++;
                        missing++;
                        sample(samples, "missing " + left.getString(1) + " " + left.getString(2));
                        hasLeft = left.next();
                    } else {
                        extra++;
                        sample(samples, "extra " + right.getString(1) + " " + right.getString(2));
                        hasRight = right.next();
                    }
                }
            }
        }
        boolean pass = missing == 0 && extra == 0 && differ == 0;
        return new Check(target, check, String.format("%,d keys", keys), pass ? String.format(
                "%,d keys match", keys) : String.format("%,d missing, %,d extra, %,d differ (%s)", missing, extra,
                differ, String.join("; ", samples)), pass);
    }

    private static void sample(List<String> samples, String key) {
        if (samples.size() < SAMPLE_KEYS) {
            samples.add(key);
        }
    }

    private static List<Object> row(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            List<Object> values = new ArrayList<>();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                values.add(rs.getObject(i));
            }
            return values;
        }
    }

    private static void print(PrintWriter out, List<Check> checks) {
        int target = "target".length();
        int check = "check".length();
        int source = "source".length();
        for (Check c : checks) {
            target = Math.max(target, c.target().length());
            check = Math.max(check, c.check().length());
            source = Math.max(source, c.source().length());
        }
        String format = "%-" + target + "s  %-" + check + "s  %" + source + "s  %s  %s%n";
        out.printf(format, "target", "check", "source", "result", "warehouse + quarantine");
        for (Check c : checks) {
            out.printf(format, c.target(), c.check(), c.source(), c.pass() ? "pass  " : "FAIL  ", c.warehouse());
        }
    }

    private static Connection open(PostgresConnection postgres, String setTimeZone)
            throws SQLException {
        Connection c = PostgresConnections.open(postgres, "lockstep reconcile");
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        return readOnly(c, setTimeZone);
    }

    /** Makes the open transaction of {@code c} read-only, in the definition's time zone ({@code setTimeZone}). */
    private static Connection readOnly(Connection c, String setTimeZone) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET TRANSACTION READ ONLY");
            s.execute(setTimeZone);
        }
        return c;
    }

}
