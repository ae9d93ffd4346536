package dev.lockstep.app;

import dev.lockstep.control.AlertStore;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.runtime.PipelineFiles;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
        AlertStore alerts = new AlertStore(definition.pipeline());
        try (Connection c = QuarantineCommand.connect(definition)) {
            long last = print(out, alerts.newest(c, limit), -1);
            while (follow && running) {
                Thread.sleep(Duration.ofSeconds(1).toMillis());
                last = print(out, alerts.after(c, last), last);
            }
        }
        return 0;
    }

    /** Prints {@code alerts}; returns the last alert id printed (or {@code after}). */
    private static long print(PrintWriter out, List<AlertStore.Listed> alerts, long after) {
        long last = after;
        for (AlertStore.Listed alert : alerts) {
            last = alert.id();
            out.printf("%s %-8s %-28s %-24s %s (id %s)%n", alert.createdAt().toString().replace('T', ' '),
                    alert.severity(), alert.type(), alert.rule().orElse("-"), alert.message(), alert.eventId());
        }
        out.flush();
        return Math.max(last, 0);
    }
}
