package dev.lockstep.app;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.runtime.PipelineFiles;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** The definition file and Kafka cluster of a command that acts on one pipeline. */
final class PipelineFileOptions {

    @Parameters(paramLabel = "FILE", index = "0", description = "The pipeline definition (YAML).")
    Path file;

    @Mixin
    KafkaOption kafka;

    /** Loads the definition (exit 2 with every problem when it is invalid) and returns its extract settings. */
    ExtractSettings extractSettings() {
        return PipelineFiles.extractSettings(PipelineFiles.load(file), kafka.bootstrapServers);
    }
}
