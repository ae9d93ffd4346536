package dev.lockstep.runtime;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Problem;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A definition's text with the name its messages use and the directory its relative paths (password files, the
 * hand-written migrations) resolve against: a file, or a version as the control schema recorded it.
 */
public record DefinitionText(String name, String text, Path directory, Function<String, String> environment) {

    public DefinitionText {
        requireNonNull(name, "name");
        requireNonNull(text, "text");
        requireNonNull(directory, "directory");
        requireNonNull(environment, "environment");
    }

    /** Reads {@code file}, its {@code ${VAR}}s from the process's environment; an unreadable file is invalid input. */
    public static DefinitionText read(Path file) {
        return read(file, System::getenv);
    }

    /** Reads {@code file}, its {@code ${VAR}}s from {@code environment}. */
    public static DefinitionText read(Path file, Function<String, String> environment) {
        return new DefinitionText(file.toString(), WarehouseDeployment.read(file), file.toAbsolutePath().getParent(),
                environment);
    }

    /** Returns the text of another version, named {@code name}, with this one's directory and environment. */
    public DefinitionText other(String name, String text) {
        return new DefinitionText(name, text, directory, environment);
    }

    /** Parses the text, its variables from {@link #environment}. */
    public ParsedDefinition parse() {
        return DefinitionParser.create().withEnvironment(environment).parse(name, text, directory);
    }

    /** Parses and validates the text; every error, with its position, is in the exception's message. */
    public PipelineDefinition load() {
        ParsedDefinition parsed = parse();
        if (!parsed.isValid() || parsed.definition().isEmpty()) {
            throw new LockstepException(ErrorCode.INVALID_INPUT, "invalid definition " + name + ":\n"
                    + parsed.errors().stream().map(Problem::format).collect(Collectors.joining("\n")));
        }
        return parsed.definition().orElseThrow();
    }
}
