package dev.lockstep.app;

import dev.lockstep.connectors.PostgresSourceCatalog;
import dev.lockstep.core.definition.DefinitionParser;
import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Problem;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.live.ConnectedReport;
import dev.lockstep.core.definition.live.ConnectedValidator;
import dev.lockstep.core.definition.live.ExpressionTypeChecker;
import dev.lockstep.core.definition.live.SourceCatalog;
import dev.lockstep.warehouse.PostgresExpressionTypeChecker;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lockstep validate}: checks definitions offline, and with {@code --connect} against their databases. */
@Command(
        name = "validate",
        description = {
            "Check pipeline definitions: YAML, every key and value, every reference, every expression's syntax. "
                    + "With --connect, also check the source tables and columns and type-check every expression "
                    + "in the warehouse PostgreSQL.",
            "",
            "Exit codes: 0 valid, 2 invalid, 1 internal error, 3 a database cannot be reached."
        })
final class ValidateCommand implements Callable<Integer> {

    /** Output formats. */
    enum Format { text, json }

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Definition files (YAML).")
    List<Path> files;

    @Option(names = "--connect", description = "Also connect to the source and warehouse databases of each "
            + "definition: tables, columns, row identity and wal_level in the source; expression types in the "
            + "warehouse (in a transaction that is rolled back).")
    boolean connect;

    @Option(names = "--format", defaultValue = "text", paramLabel = "text|json",
            description = "Output: text (problems on standard error) or json (one document on standard output). "
                    + "Default: ${DEFAULT-VALUE}.")
    Format format;

    /** What was found for one file. */
    record FileResult(String file, List<Problem> problems, Optional<PipelineDefinition> definition,
            Optional<ConnectedReport> connected, boolean connectSkipped) {

        boolean valid() {
            return problems.stream().noneMatch(Problem::isError);
        }
    }

    @Override
    public Integer call() {
        DefinitionParser parser = DefinitionParser.create();
        List<ParsedDefinition> parsed = files.stream().map(parser::parse).toList();
        Map<Integer, List<Problem>> duplicates = duplicatePipelines(parsed);
        List<FileResult> results = new ArrayList<>();
        for (int i = 0; i < parsed.size(); i++) {
            results.add(check(parsed.get(i), duplicates.getOrDefault(i, List.of())));
        }
        ValidationOutput output = new ValidationOutput(spec.commandLine().getOut(), spec.commandLine().getErr());
        if (format == Format.json) {
            output.json(results);
        } else {
            output.text(results);
        }
        return results.stream().allMatch(FileResult::valid) ? 0 : 2;
    }

    private FileResult check(ParsedDefinition parsed, List<Problem> extra) {
        List<Problem> problems = new ArrayList<>(parsed.problems());
        problems.addAll(extra);
        if (!connect) {
            problems.sort(null);
            return new FileResult(parsed.file(), problems, parsed.definition(), Optional.empty(), false);
        }
        Optional<PipelineDefinition> definition = parsed.definitionForPostgres();
        if (definition.isEmpty()) {
            problems.sort(null);
            return new FileResult(parsed.file(), problems, Optional.empty(), Optional.empty(), true);
        }
        ConnectedReport report;
        try (SourceCatalog catalog = PostgresSourceCatalog.connect(definition.get().source().postgres());
                ExpressionTypeChecker checker = PostgresExpressionTypeChecker.connect(
                        definition.get().warehouse().postgres())) {
            report = ConnectedValidator.validate(parsed, catalog, checker);
        }
        List<Problem> all = new ArrayList<>(report.problems());
        all.addAll(extra);
        all.sort(null);
        return new FileResult(parsed.file(), all, report.isValid() && extra.isEmpty() ? definition : Optional.empty(),
                Optional.of(report), false);
    }

    /** A pipeline name names topics, slots and schemas, so two files cannot share one. */
    private static Map<Integer, List<Problem>> duplicatePipelines(List<ParsedDefinition> parsed) {
        Map<String, Integer> first = new HashMap<>();
        Map<Integer, List<Problem>> problems = new HashMap<>();
        for (int i = 0; i < parsed.size(); i++) {
            ParsedDefinition file = parsed.get(i);
            Optional<PipelineDefinition> definition = file.definitionForPostgres();
            if (definition.isEmpty()) {
                continue;
            }
            Integer earlier = first.putIfAbsent(definition.get().name(), i);
            if (earlier != null) {
                problems.computeIfAbsent(i, k -> new ArrayList<>()).add(Problem.error(ProblemType.DUPLICATE_PIPELINE,
                        file.sourceMap().orElseThrow().locate("pipeline"), "pipeline", "pipeline `"
                                + definition.get().name() + "` is also defined in " + parsed.get(earlier).file()
                                + "; its topics, slot and schema would collide"));
            }
        }
        return problems;
    }
}
