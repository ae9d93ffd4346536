package dev.lockstep.app;

import dev.lockstep.connectors.ExtractMetrics;
import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.stream.TopicNames;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lockstep extract}: runs the extract stage alone, with a live count; Ctrl-C stops it cleanly. */
@Command(name = "extract",
        description = "Stream the source tables' changes into Kafka (lockstep.<pipeline>.changes), whole source "
                + "transactions at a time, in commit order. Runs until Ctrl-C; the next run resumes where it stopped.")
final class ExtractCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PipelineFileOptions pipeline;

    @Override
    public Integer call() throws Exception {
        ExtractSettings settings = pipeline.extractSettings();
        PrintWriter out = spec.commandLine().getOut();
        PostgresCdcSource extract = new PostgresCdcSource(settings);
        Thread stopper = new Thread(() -> {
            extract.stop();
            out.printf("%nStopped pipeline %s's extract; the next run resumes where it stopped.%n", settings.pipeline());
            out.flush();
        }, "lockstep-extract-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        extract.start();
        out.printf("Extracting pipeline %s into %s (Ctrl-C to stop)%n", settings.pipeline(),
                TopicNames.changes(settings.pipeline()));
        ExtractMetrics metrics = extract.metrics();
        long lastEvents = 0;
        long lastTime = System.nanoTime();
        while (true) {
            try {
                extract.completion().get(1, TimeUnit.SECONDS);
                out.println();
                return 0;
            } catch (TimeoutException stillRunning) {
                long now = System.nanoTime();
                long events = metrics.totalEvents();
                double rate = (events - lastEvents) / ((now - lastTime) / 1e9);
                lastEvents = events;
                lastTime = now;
                long wal = metrics.walRetainedBytes();
                out.printf("\r%,d changes in %,d transactions  %,.0f/s  slot holds %s   ", events,
                        metrics.totalTransactions(), rate, wal < 0 ? "?" : (wal >> 10) + " KiB of WAL");
                out.flush();
            } catch (ExecutionException | CompletionException failed) {
                out.println();
                Throwable cause = failed.getCause();
                throw cause instanceof LockstepException l ? l
                        : new LockstepException(ErrorCode.UNAVAILABLE, "extract failed: " + cause, cause);
            }
        }
    }
}
