package dev.lockstep.app;

import java.nio.file.Path;
import picocli.CommandLine.Parameters;

/** The definition file of a command that reads a pipeline's warehouse and needs nothing else. */
final class DefinitionFileOption {

    @Parameters(paramLabel = "FILE", index = "0", description = "The pipeline definition (YAML).")
    Path file;
}
