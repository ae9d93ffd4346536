package dev.lockstep.app;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.stream.TopicNames;
import dev.lockstep.runtime.PipelineFiles;
import dev.lockstep.runtime.PipelineRun;
import dev.lockstep.runtime.WarehouseDeployment;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lockstep run}: the whole pipeline in one process — extract and apply — with live progress. */
@Command(name = "run",
        description = "Run the pipeline: validate the definition against both databases, apply the control and "
                + "warehouse migrations, then extract the source's changes into Kafka and apply them to the warehouse "
                + "in this process, showing live progress (rows extracted, loaded and quarantined per target; lag; a "
                + "progress bar during the snapshot). Ctrl-C stops cleanly: the extract commits what it read, the "
                + "apply stage drains the changes topic and commits its last batch; the next run resumes there. A "
                + "definition changed in a way that needs a warehouse migration is refused before anything starts, "
                + "with what changed.")
final class RunCommand implements Callable<Integer>, LogFileOption.LogsToFile {

    @Spec
    CommandSpec spec;

    @Mixin
    PipelineFileOptions pipeline;

    @Option(names = "--progress", paramLabel = "auto|live|log",
            description = "How to show progress: live (redrawn in place), log (one line every --log-every), "
                    + "auto (live on a terminal, else log). Default: ${DEFAULT-VALUE}.", defaultValue = "auto")
    String progress;

    @Option(names = "--log-every", paramLabel = "DURATION", defaultValue = "PT10S",
            description = "With log progress, how often a line is printed (ISO-8601, e.g. PT5S). Default: 10 s.")
    Duration logEvery;

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
        PrintWriter out = spec.commandLine().getOut();
        try (Foreground foreground = Foreground.install("lockstep-run")) {
            WarehouseDeployment deployment = WarehouseDeployment.deploy(pipeline.file);
            ExtractSettings settings = PipelineFiles.extractSettings(deployment.definition(),
                    pipeline.kafka.bootstrapServers);
            run(out, deployment, settings, foreground, terminal(progress), logEvery, faultDeadline.value,
                    () -> { });
        }
        return 0;
    }

    /** Returns whether progress is drawn live: {@code live}, or {@code auto} on a terminal. */
    static boolean terminal(String progress) {
        return switch (progress) {
            case "live" -> true;
            case "log" -> false;
            default -> System.console() != null;
        };
    }

    /**
     * Starts {@code deployment} and shows its progress until Ctrl-C (then runs {@code beforeStop} and stops the
     * pipeline cleanly) or until a stage fails (rethrown, after the other stage stopped).
     */
    static void run(PrintWriter out, WarehouseDeployment deployment, ExtractSettings settings, Foreground foreground,
            boolean terminal, Duration logEvery, Duration faultDeadline, Runnable beforeStop)
            throws InterruptedException {
        PipelineDefinition definition = deployment.definition();
        List<Integer> applied = deployment.applied();
        out.printf("Pipeline %s: definition checked against both databases; warehouse migrations %s%n",
                definition.pipeline(), applied.isEmpty() ? "up to date" : applied.stream().map(v -> "V" + v)
                        .collect(Collectors.joining(", ")) + " applied");
        PipelineRun run = PipelineRun.start(deployment, settings, line -> {
            out.println(line);
            out.flush();
        }, faultDeadline);
        out.printf("Running pipeline %s: %s → %s → warehouse schema %s, from %s (Ctrl-C to stop)%n",
                definition.pipeline(), settings.database() + " " + settings.tables().stream().map(Object::toString)
                        .collect(Collectors.joining(", ")), TopicNames.changes(definition.pipeline()),
                definition.warehouse().schema(), run.applyProgress().applied());
        out.flush();
        RunDisplay display = new RunDisplay(out, run, terminal, logEvery);
        if (foreground.show(run, display::render)) {
            beforeStop.run();
            out.printf("%nStopping pipeline %s: extract first, then the apply stage drains the changes topic…%n",
                    definition.pipeline());
            out.flush();
        }
        Foreground.stop(run, out);
        out.println(display.summary(run.extractMetrics().totalEvents(), run.applyProgress()));
        out.printf("Stopped pipeline %s at %s; the next run resumes there.%n", definition.pipeline(),
                run.applyProgress().applied());
        out.flush();
    }
}
