package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The result of parsing one definition file: its problems, sorted by position, and the definition when it is
 * valid. Never throws for a user mistake.
 */
public final class ParsedDefinition {

    private final String file;
    private final List<Problem> problems;
    private final PipelineDefinition definition;
    private final SourceMap sourceMap;
    private final Set<String> unparsedExpressions;

    ParsedDefinition(String file, List<Problem> problems, PipelineDefinition definition, SourceMap sourceMap,
            Set<String> unparsedExpressions) {
        this.file = requireNonNull(file, "file");
        this.problems = List.copyOf(problems);
        this.definition = definition;
        this.sourceMap = sourceMap;
        this.unparsedExpressions = Set.copyOf(unparsedExpressions);
    }

    /** Returns the file name as given. */
    public String file() {
        return file;
    }

    /** Returns every problem, errors and warnings, sorted by position. */
    public List<Problem> problems() {
        return problems;
    }

    /** Returns the errors, sorted by position. */
    public List<Problem> errors() {
        return problems.stream().filter(Problem::isError).toList();
    }

    /** Returns true if the definition has no errors. */
    public boolean isValid() {
        return errors().isEmpty();
    }

    /** Returns the definition if it is valid. */
    public Optional<PipelineDefinition> definition() {
        return isValid() ? Optional.ofNullable(definition) : Optional.empty();
    }

    /**
     * Returns the definition if its only errors are expressions the offline SQL parser could not read; PostgreSQL,
     * which has the last word, can then still check them ({@code --connect}).
     */
    public Optional<PipelineDefinition> definitionForPostgres() {
        return Optional.ofNullable(definition);
    }

    /** Returns the paths of expressions the offline parser could not read. */
    public Set<String> unparsedExpressions() {
        return unparsedExpressions;
    }

    /** Returns where each field was written, when the file could be read as YAML. */
    public Optional<SourceMap> sourceMap() {
        return Optional.ofNullable(sourceMap);
    }
}
