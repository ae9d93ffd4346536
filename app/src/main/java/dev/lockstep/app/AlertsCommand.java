package dev.lockstep.app;

import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.runtime.PipelineFiles;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lockstep alerts}: a pipeline's alert events, from the alerts outbox in its warehouse. */
@Command(name = "alerts", description = "Print the pipeline's alert events (CloudEvents written by the apply stage: "
        + "rule breached, rule resolved), oldest first; with --follow, keep printing new ones until Ctrl-C.")
final class AlertsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DefinitionFileOption definitionFile;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new alerts.")
    boolean follow;

    @Option(names = "--limit", defaultValue = "50", description = "Start with the last N alerts (default ${DEFAULT-VALUE}).")
    int limit;

    private volatile boolean running = true;

    @Override
    public Integer call() throws Exception {
        PipelineDefinition definition = PipelineFiles.load(definitionFile.file);
        PrintWriter out = spec.commandLine().getOut();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> running = false, "lockstep-alerts-stop"));
        try (Connection c = QuarantineCommand.connect(definition)) {
            long last = print(c, out, definition.pipeline(), "SELECT * FROM (SELECT alert_id, created_at, severity, "
                    + "type, coalesce(rule, '-'), payload->>'message', event_id FROM lockstep.alerts WHERE pipeline = ? "
                    + "ORDER BY alert_id DESC LIMIT " + limit + ") a ORDER BY alert_id", -1);
            while (follow && running) {
                Thread.sleep(Duration.ofSeconds(1).toMillis());
                last = print(c, out, definition.pipeline(), "SELECT alert_id, created_at, severity, type, "
                        + "coalesce(rule, '-'), payload->>'message', event_id FROM lockstep.alerts WHERE pipeline = ? "
                        + "AND alert_id > ? ORDER BY alert_id", last);
            }
        }
        return 0;
    }

    /** Prints the alerts the query returns; returns the last alert id printed (or {@code after}). */
    private static long print(Connection c, PrintWriter out, String pipeline, String sql, long after)
            throws SQLException {
        long last = after;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, pipeline);
            if (after >= 0) {
                ps.setLong(2, after);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    last = rs.getLong(1);
                    out.printf("%s %-8s %-28s %-24s %s (id %s)%n",
                            rs.getTimestamp(2).toInstant().toString().replace('T', ' '), rs.getString(3),
                            rs.getString(4), rs.getString(5), rs.getString(6), rs.getObject(7));
                }
            }
        }
        out.flush();
        return Math.max(last, 0);
    }
}
