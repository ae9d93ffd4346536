package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.internal.ExpressionAnalyzer;
import java.util.List;
import java.util.Optional;

/** A PostgreSQL expression, evaluated by PostgreSQL in the warehouse; the text is kept exactly as written. */
public record SqlExpression(String sql) {

    public SqlExpression {
        requireNonNull(sql, "sql");
        if (sql.isBlank()) {
            throw new IllegalArgumentException("an expression must not be blank");
        }
    }

    /** A column an expression uses: {@code qualifier.column}, or {@code column} alone; names folded as PostgreSQL does. */
    public record ColumnUse(Optional<String> qualifier, String column) {

        public ColumnUse {
            requireNonNull(qualifier, "qualifier");
            requireNonNull(column, "column");
        }
    }

    /**
     * Returns the columns the expression uses, read offline by the SQL parser; empty when it cannot read them (an
     * expression only PostgreSQL understands): a caller must then assume it may use any column in scope.
     */
    public Optional<List<ColumnUse>> columns() {
        ExpressionAnalyzer.Analysis analysis = ExpressionAnalyzer.analyze(sql);
        if (!analysis.parsed()) {
            return Optional.empty();
        }
        return Optional.of(analysis.columns().stream().map(c -> new ColumnUse(c.qualifier(), c.column())).toList());
    }

    /** Returns the expression text. */
    @Override
    public String toString() {
        return sql;
    }
}
