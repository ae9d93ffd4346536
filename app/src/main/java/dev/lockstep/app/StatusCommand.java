package dev.lockstep.app;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.control.AlertStore;
import dev.lockstep.control.QuarantineStore;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.runtime.PipelineFiles;
import dev.lockstep.runtime.PipelineStatus;
import dev.lockstep.migrations.DeploymentState;
import dev.lockstep.migrations.DeploymentStatus;
import dev.lockstep.migrations.Deployments;
import dev.lockstep.runtime.WarehouseDeployment;
import dev.lockstep.warehouse.star.Reconciliation;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code lockstep status}: where each stage stands, the warehouse's row counts, open alerts and the quarantine. */
@Command(name = "status",
        description = "Show where the pipeline stands: the extract (slot position, WAL behind, running or not), the "
                + "changes topic, the apply stage (applied position, records behind, last source commit applied), row "
                + "counts per target, the newest deployment (version, state, switch position, "
                + "rebuild progress), open alerts and quarantine counts. Reads only; works while the pipeline runs.")
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
        new Deployments(WarehouseDeployment.dataSource(definition.warehouse().postgres()), definition.pipeline())
                .status().ifPresent(status -> printDeployment(out, status));
        try (Connection c = PipelineStatus.connect(definition.warehouse().postgres())) {
            printTargets(out, c, new Reconciliation(deployment.star(), definition.pipeline()));
            printAlerts(out, c, definition.pipeline());
            printQuarantine(out, c, definition.pipeline());
        }
        out.flush();
        return 0;
    }

    private static void printDeployment(PrintWriter out, DeploymentStatus status) {
        String switched = status.switchLsn().map(lsn -> " after " + StreamPosition.of(lsn,
                status.switchSequence().orElse(0L))).orElse("");
        out.printf("  deploy    version %d %s%s%s, by %s, %s ago%s%n", status.version(), status.state().sql(), switched,
                status.state() == DeploymentState.SWITCHED ? (status.contractRequested() ? " (contract requested)"
                        : " (contract pending: deploy --contract)") : "", status.operator().orElse("run"),
                ago(status.updatedAt()), status.progress().map(p -> "; " + p).orElse(""));
        status.failure().ifPresent(failure -> out.printf("            last failure: %s%n", failure));
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
        List<AlertStore.OpenAlert> open = new AlertStore(pipeline).open(c);
        out.printf("%n  open alerts: %d%n", open.size());
        for (AlertStore.OpenAlert alert : open) {
            out.printf("    %-28s %-9s %,10d violations, open since %s%n", alert.rule(), alert.severity(),
                    alert.violations(), alert.openedAt());
        }
    }

    private static void printQuarantine(PrintWriter out, Connection c, String pipeline) throws SQLException {
        List<QuarantineStore.Count> counts = new QuarantineStore(c, pipeline).counts();
        out.printf("%n  quarantine  %-16s %-28s %8s %8s %10s %9s%n", "target", "rule", "open", "replayed", "superseded",
                "discarded");
        for (QuarantineStore.Count count : counts) {
            out.printf("              %-16s %-28s %,8d %,8d %,10d %,9d%n", count.target(), count.rule(), count.open(),
                    count.replayed(), count.superseded(), count.discarded());
        }
        if (counts.isEmpty()) {
            out.println("              (empty)");
        }
    }

    private static String ago(Instant then) {
        Duration d = Duration.between(then, Instant.now());
        return d.toSeconds() < 120 ? d.toMillis() / 1000.0 + " s" : d.toMinutes() + " min";
    }
}
