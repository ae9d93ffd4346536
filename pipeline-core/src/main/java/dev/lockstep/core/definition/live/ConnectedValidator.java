package dev.lockstep.core.definition.live;

import dev.lockstep.core.definition.ParsedDefinition;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Problem;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.SourceMap;
import dev.lockstep.core.stream.TableId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The checks of {@code lockstep validate --connect}: the source catalog (tables, columns, row identity,
 * {@code wal_level}), then every expression type-checked by the warehouse PostgreSQL, with its errors reported at
 * their positions in the file. Holds the logic; the databases are behind {@link SourceCatalog} and
 * {@link ExpressionTypeChecker}.
 */
public final class ConnectedValidator {

    private ConnectedValidator() {}

    /**
     * Checks a parsed definition against the databases. Requires {@link ParsedDefinition#definitionForPostgres()};
     * returns every problem of the file, the offline ones included, with the offline parser's syntax errors
     * replaced by PostgreSQL's verdict.
     */
    public static ConnectedReport validate(ParsedDefinition parsed, SourceCatalog catalog,
            ExpressionTypeChecker checker) {
        PipelineDefinition definition = parsed.definitionForPostgres().orElseThrow(() ->
                new IllegalArgumentException("the definition has errors that --connect cannot check past"));
        SourceMap map = parsed.sourceMap().orElseThrow();
        List<Problem> problems = new ArrayList<>();
        Map<TableId, SourceTable> tables = catalog.describe(definition.source().tables());
        new CatalogChecks(definition, map, tables, catalog.describeDatabase(), problems).run(catalog.walLevel());
        TypeChecks types = new TypeChecks(definition, map, tables, checker, parsed.unparsedExpressions(), problems);
        types.run();
        for (Problem offline : parsed.problems()) {
            boolean unparsed = offline.type() == ProblemType.EXPRESSION_SYNTAX
                    && parsed.unparsedExpressions().contains(offline.path());
            if (unparsed && types.acceptedUnparsed().contains(offline.path())) {
                problems.add(Problem.warning(ProblemType.OFFLINE_PARSER_LIMIT, offline.location(), offline.path(),
                        "the offline SQL parser cannot read this expression (" + offline.message()
                                + "), but PostgreSQL accepts it"));
            } else if (!(unparsed && types.rejectedUnparsed().contains(offline.path()))) {
                problems.add(offline);
            }
        }
        problems.sort(null);
        return new ConnectedReport(problems, types.columns(), checker.serverVersion());
    }
}
