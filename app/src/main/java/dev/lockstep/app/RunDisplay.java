package dev.lockstep.app;

import dev.lockstep.connectors.ExtractMetrics;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.SourcePostgres;
import dev.lockstep.core.stream.StreamPosition;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.runtime.Outage;
import dev.lockstep.runtime.PipelineRun;
import dev.lockstep.runtime.PostgresConnections;
import dev.lockstep.warehouse.star.TargetCounts;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The live progress of a {@link PipelineRun}: rows extracted, applied and quarantined per target, how far the
 * warehouse is behind, and a progress bar while the initial snapshot loads. On a terminal the block is redrawn in
 * place every second; otherwise (a log, a pipe) one summary line is printed every {@code quietEvery}.
 */
final class RunDisplay {

    private static final int BAR_WIDTH = 30;

    private final PrintWriter out;
    private final PipelineRun run;
    private final boolean terminal;
    private final Duration quietEvery;
    private final long snapshotEstimate;
    private int drawnLines;
    private long lastEvents;
    private long lastNanos = System.nanoTime();
    private long lastQuiet;
    private boolean snapshotReported;

    RunDisplay(PrintWriter out, PipelineRun run, boolean terminal, Duration quietEvery) {
        this.out = out;
        this.run = run;
        this.terminal = terminal;
        this.quietEvery = quietEvery;
        this.snapshotEstimate = estimateSourceRows(run.deployment().definition());
    }

    /** Draws the current progress: in place on a terminal, as one line now and then otherwise. */
    void render() {
        long now = System.nanoTime();
        ExtractMetrics extract = run.extractMetrics();
        long events = extract.totalEvents();
        double rate = (events - lastEvents) / Math.max(1e-3, (now - lastNanos) / 1e9);
        lastEvents = events;
        lastNanos = now;
        PipelineRun.ApplyProgress apply = run.applyProgress();
        if (apply.snapshotCompleted() && !snapshotReported) {
            snapshotReported = true;
            if (!terminal) {
                out.printf("Initial snapshot applied: %,d changes extracted so far%n", events);
            }
        }
        if (!terminal) {
            if (now - lastQuiet >= quietEvery.toNanos()) {
                lastQuiet = now;
                out.println(summary(events, apply));
                out.flush();
            }
            return;
        }
        List<String> lines = lines(extract, events, rate, apply);
        StringBuilder frame = new StringBuilder();
        if (drawnLines > 0) {
            frame.append("\033[").append(drawnLines).append('F'); // back to the block's first line
        }
        for (String line : lines) {
            frame.append("\033[2K").append(line).append('\n');
        }
        out.print(frame);
        out.flush();
        drawnLines = lines.size();
    }

    /** One line: what a log needs to follow the run. */
    String summary(long events, PipelineRun.ApplyProgress apply) {
        long loaded = 0;
        long quarantined = 0;
        for (TargetCounts counts : apply.targets().values()) {
            loaded += counts.loaded();
            quarantined += counts.quarantined();
        }
        Outage outage = run.outage();
        return String.format("pipeline %s: %s, %,d changes extracted, applied through %s (%,d records behind), "
                + "%,d rows loaded, %,d quarantined", run.deployment().definition().pipeline(),
                outage != null ? outage.status() : apply.snapshotting() ? "snapshotting" : "streaming", events,
                apply.applied(),
                Math.max(0, apply.topicEnd() - apply.nextOffset()), loaded, quarantined);
    }

    private List<String> lines(ExtractMetrics extract, long events, double rate, PipelineRun.ApplyProgress apply) {
        List<String> lines = new ArrayList<>();
        String pipeline = run.deployment().definition().pipeline();
        boolean snapshot = !apply.snapshotCompleted() && (apply.snapshotting() || (apply.applied().equals(
                StreamPosition.ZERO) && events < snapshotEstimate));
        Outage outage = run.outage();
        lines.add(String.format("Pipeline %s  %s  (Ctrl-C stops after the batch in flight)", pipeline,
                outage != null ? outage.status() : snapshot ? "snapshotting" : "streaming"));
        if (snapshot && snapshotEstimate > 0) {
            double done = Math.min(1.0, (double) events / snapshotEstimate);
            int filled = (int) Math.round(done * BAR_WIDTH);
            lines.add(String.format("  snapshot  [%s%s] %3.0f%%  %,d of ~%,d rows", "#".repeat(filled),
                    "-".repeat(BAR_WIDTH - filled), done * 100, events, snapshotEstimate));
        }
        long wal = run.walRetained();
        lines.add(String.format("  extract   %,d changes in %,d transactions  %,.0f/s  slot holds %s", events,
                extract.totalTransactions(), rate, wal < 0 ? "?" : (wal >> 10) + " KiB of WAL"));
        long behind = Math.max(0, apply.topicEnd() - apply.nextOffset());
        lines.add(String.format("  apply     through %s  %,d records behind  last batch: commit → warehouse %,d ms",
                apply.applied(), behind, apply.lastBatchLatency().toMillis()));
        apply.deploying().ifPresent(doing -> lines.add("  deploy    " + doing));
        Map<TableId, Long> byTable = extract.eventsByTable();
        lines.add(String.format("  %-22s %12s %12s %12s", "target", "extracted", "loaded", "quarantined"));
        for (Map.Entry<String, TableId> target : run.deployment().targetSources().entrySet()) {
            TargetCounts counts = apply.targets().getOrDefault(target.getKey(),
                    new TargetCounts(0, 0));
            lines.add(String.format("  %-22s %,12d %,12d %,12d", target.getKey() + " (" + target.getValue().table()
                    + ")", byTable.getOrDefault(target.getValue(), 0L), counts.loaded(), counts.quarantined()));
        }
        return lines;
    }

    /** Returns how many rows the source tables hold, roughly (the snapshot's size); 0 when it cannot tell. */
    private static long estimateSourceRows(PipelineDefinition definition) {
        SourcePostgres source = definition.source().postgres();
        try (Connection c = PostgresConnections.open(source, "lockstep run " + definition.pipeline());
                PreparedStatement estimate = c.prepareStatement("SELECT reltuples::bigint FROM pg_class WHERE oid = "
                        + "to_regclass(?)")) {
            long rows = 0;
            for (TableId table : definition.source().tables()) {
                estimate.setString(1, table.toString());
                long tuples = -1;
                try (ResultSet rs = estimate.executeQuery()) {
                    if (rs.next()) {
                        tuples = rs.getLong(1);
                    }
                }
                if (tuples < 0) { // never analyzed: count it
                    try (Statement s = c.createStatement();
                            ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
                        rs.next();
                        tuples = rs.getLong(1);
                    }
                }
                rows += tuples;
            }
            return rows;
        } catch (SQLException e) {
            return 0;
        }
    }
}
