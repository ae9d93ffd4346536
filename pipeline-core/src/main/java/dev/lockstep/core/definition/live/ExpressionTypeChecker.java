package dev.lockstep.core.definition.live;

import java.util.Map;
import java.util.Optional;

/**
 * Type-checks expressions in the warehouse PostgreSQL against temporary relations, in a transaction that is
 * rolled back on {@link #close()}; nothing is evaluated on data and nothing persists. Implemented in warehouse;
 * not thread-safe.
 */
public interface ExpressionTypeChecker extends AutoCloseable {

    /** Declares a relation named {@code table.id().toString()} shaped like the raw layer's copy of the table. */
    void declareSourceTable(SourceTable table);

    /** Declares a relation with these columns and PostgreSQL types, in order (a target's conformed rows). */
    void declareRelation(String name, Map<String, String> columnTypes);

    /** Returns the expression's result type as PostgreSQL formats it ({@code numeric}, {@code text}), or its error. */
    TypeCheck typeOf(ExpressionProbe probe);

    /** Returns PostgreSQL's error if the pattern is not a valid regular expression. */
    Optional<SqlError> checkRegex(String pattern);

    /** Returns PostgreSQL's version, for the report. */
    String serverVersion();

    /** Rolls back and closes the connection. */
    @Override
    void close();
}
