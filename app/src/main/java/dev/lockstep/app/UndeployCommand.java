package dev.lockstep.app;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lockstep undeploy}: releases what a pipeline holds in its source database. */
@Command(name = "undeploy",
        description = "Drop the pipeline's replication slot and publication in the source database, so that it no "
                + "longer holds WAL. Stop the pipeline first. Kafka topics and the warehouse are kept.")
final class UndeployCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PipelineFileOptions pipeline;

    @Override
    public Integer call() {
        ExtractSettings settings = pipeline.extractSettings();
        PostgresCdcSource.dropSlot(settings);
        spec.commandLine().getOut().printf("Dropped replication slot %s and publication %s of pipeline %s.%n",
                settings.slotName(), settings.publicationName(), settings.pipeline());
        return 0;
    }
}
