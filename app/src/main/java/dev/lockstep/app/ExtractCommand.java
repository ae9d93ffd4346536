package dev.lockstep.app;

import dev.lockstep.connectors.ExtractMetrics;
import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.runtime.Outage;
import dev.lockstep.runtime.PipelineRun;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code lockstep extract}: runs the extract stage alone, with a live count; Ctrl-C stops it cleanly. */
@Command(name = "extract",
        description = "Stream the source tables' changes into Kafka (lockstep.<pipeline>.changes), whole source "
                + "transactions at a time, in commit order. Pauses and retries while the source or Kafka is unreachable "
                + "(--fault-deadline). Runs until Ctrl-C; the next run resumes where it stopped.")
final class ExtractCommand implements Callable<Integer>, LogFileOption.LogsToFile {

    @Spec
    CommandSpec spec;

    @Mixin
    PipelineFileOptions pipeline;

    @Mixin
    FaultDeadlineOption faultDeadline;

    @Mixin
    LogFileOption logFile;

    @Override
    public LogFileOption logFile() {
        return logFile;
    }

    @Override
    public Integer call() throws Exception {
        ExtractSettings settings = pipeline.extractSettings();
        PrintWriter out = spec.commandLine().getOut();
        try (Foreground foreground = Foreground.install("lockstep-extract")) {
            PipelineRun run = PipelineRun.start(PipelineRun.Stages.EXTRACT, null, settings, line -> {
                out.printf("%n%s%n", line);
                out.flush();
            }, faultDeadline.value);
            out.printf("Extracting pipeline %s into %s (Ctrl-C to stop)%n", settings.pipeline(),
                    TopicNames.changes(settings.pipeline()));
            out.flush();
            ExtractMetrics metrics = run.extractMetrics();
            long[] last = {0, System.nanoTime()}; // events, when
            foreground.show(run, () -> {
                long now = System.nanoTime();
                long events = metrics.totalEvents();
                double rate = (events - last[0]) / ((now - last[1]) / 1e9);
                last[0] = events;
                last[1] = now;
                long wal = metrics.walRetainedBytes();
                Outage outage = run.outage();
                out.printf("\r%,d changes in %,d transactions  %,.0f/s  slot holds %s%s   ", events,
                        metrics.totalTransactions(), rate, wal < 0 ? "?" : (wal >> 10) + " KiB of WAL",
                        outage == null ? "" : "  " + outage.status());
                out.flush();
            });
            Foreground.stop(run, out);
            out.printf("%nStopped pipeline %s's extract; the next run resumes where it stopped.%n",
                    settings.pipeline());
            out.flush();
        }
        return 0;
    }
}
