package dev.lockstep.app;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.runtime.PipelineFiles;
import dev.lockstep.runtime.PipelineStatus;
import dev.lockstep.runtime.WarehouseDeployment;
import dev.lockstep.warehouse.star.Reconciliation;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lockstep status}: where each stage stands, the warehouse's row counts, open alerts and the quarantine. */
@Command(name = "status",
        description = "Show where the pipeline stands: the extract (slot position, WAL behind, running or not), the "
                + "changes topic, the apply stage (applied position, records behind, last source commit applied), row "
                + "counts per target, open alerts and quarantine counts. Reads only; works while the pipeline runs.")
final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PipelineFileOptions pipeline;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        WarehouseDeployment deployment = WarehouseDeployment.inspect(pipeline.file);
        PipelineDefinition definition = deployment.definition();
        ExtractSettings settings = PipelineFiles.extractSettings(definition, pipeline.kafka.bootstrapServers);
        PipelineStatus.Positions positions = PipelineStatus.positions(definition, settings);
        PostgresCdcSource.SourcePosition source = positions.source();
        out.printf("Pipeline %s%n", definition.pipeline());
        out.printf("  source    WAL at %s%n", StreamPosition.formatLsn(source.currentLsn()));
        if (source.confirmedLsn() < 0) {
            out.printf("  extract   no replication slot %s (never ran, or undeployed)%n", settings.slotName());
        } else {
            out.printf("  extract   %s, slot %s confirmed %s, %,d bytes of WAL behind%n", source.slotActive()
                    ? "running" : "stopped", settings.slotName(), StreamPosition.formatLsn(source.confirmedLsn()),
                    source.lagBytes());
        }
        out.printf("  topic     %s: %,d records%n", TopicNames.changes(definition.pipeline()), positions.topicEnd());
        if (positions.applied().isEmpty()) {
            out.println("  apply     never committed a batch");
            out.flush();
            return 0;
        }
        PipelineStatus.Applied applied = positions.applied().get();
        out.printf("  apply     through %s, next offset %,d, %,d records behind; last source commit applied %s, "
                + "last batch %s ago%n", applied.position(), applied.nextOffset(), positions.recordsBehind(),
                applied.sourceCommit().map(Instant::toString).orElse("-"), ago(applied.updatedAt()));
        try (Connection c = PipelineStatus.connect(definition.warehouse().postgres())) {
            printTargets(out, c, new Reconciliation(deployment.star(), definition.pipeline()));
            printAlerts(out, c, definition.pipeline());
            printQuarantine(out, c, definition.pipeline());
        }
        out.flush();
        return 0;
    }

    private static void printTargets(PrintWriter out, Connection c, Reconciliation reconciliation)
            throws SQLException {
        out.printf("%n  %-20s %14s %14s%n", "target", "current rows", "all versions");
        for (String target : reconciliation.targets()) {
            boolean dimension = reconciliation.dimensions().contains(target);
            String sql = "SELECT count(*) FILTER (WHERE NOT is_deleted" + (reconciliation.scd2Dimensions()
                    .contains(target) ? " AND is_current" : "") + "), count(*) FROM " + (dimension
                            ? reconciliation.loadedRows(target) : reconciliation.table(target)) + " t";
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                rs.next();
                out.printf("  %-20s %,14d %14s%n", target, rs.getLong(1), reconciliation.scd2Dimensions()
                        .contains(target) ? String.format("%,d", rs.getLong(2)) : "");
            }
        }
    }

    private static void printAlerts(PrintWriter out, Connection c, String pipeline) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT rule, severity, violations, opened_at FROM "
                + "lockstep.open_alerts WHERE pipeline = ? ORDER BY opened_at")) {
            ps.setString(1, pipeline);
            try (ResultSet rs = ps.executeQuery()) {
                StringBuilder lines = new StringBuilder();
                int n = 0;
                while (rs.next()) {
                    n++;
                    lines.append(String.format("    %-28s %-9s %,10d violations, open since %s%n", rs.getString(1),
                            rs.getString(2), rs.getLong(3), rs.getTimestamp(4).toInstant()));
                }
                out.printf("%n  open alerts: %d%n%s", n, lines);
            }
        }
    }

    private static void printQuarantine(PrintWriter out, Connection c, String pipeline) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(target, source_table, '-'), coalesce(rule, cause) AS rule, "
                + "count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status = 'replayed'), "
                + "count(*) FILTER (WHERE status = 'superseded'), count(*) FILTER (WHERE status = 'discarded') "
                + "FROM lockstep.quarantine WHERE pipeline = ? GROUP BY 1, 2 ORDER BY 1, 2")) {
            ps.setString(1, pipeline);
            try (ResultSet rs = ps.executeQuery()) {
                out.printf("%n  quarantine  %-16s %-28s %8s %8s %10s %9s%n", "target", "rule", "open", "replayed",
                        "superseded", "discarded");
                boolean any = false;
                while (rs.next()) {
                    any = true;
                    out.printf("              %-16s %-28s %,8d %,8d %,10d %,9d%n", rs.getString(1), rs.getString(2),
                            rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6));
                }
                if (!any) {
                    out.println("              (empty)");
                }
            }
        }
    }

    private static String ago(Instant then) {
        Duration d = Duration.between(then, Instant.now());
        return d.toSeconds() < 120 ? d.toMillis() / 1000.0 + " s" : d.toMinutes() + " min";
    }
}
