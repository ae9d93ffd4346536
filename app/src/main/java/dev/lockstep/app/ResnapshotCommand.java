package dev.lockstep.app;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.stream.TableId;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lockstep resnapshot}: the way out after a source table changed while the extract was stopped. */
@Command(name = "resnapshot",
        description = "Accept the current columns of a source table and re-read the whole table (an incremental "
                + "snapshot, interleaved with streaming) the next time the extract runs.")
final class ResnapshotCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--table", required = true, paramLabel = "SCHEMA.TABLE", description = "The source table.")
    String table;

    @Mixin
    PipelineFileOptions pipeline;

    @Override
    public Integer call() {
        ExtractSettings settings = pipeline.extractSettings();
        String signal = PostgresCdcSource.resnapshot(settings, TableId.parse(table));
        spec.commandLine().getOut().printf("Accepted the columns of %s; snapshot requested (signal %s). It runs "
                + "when the extract of pipeline %s streams next.%n", table, signal, settings.pipeline());
        return 0;
    }
}
