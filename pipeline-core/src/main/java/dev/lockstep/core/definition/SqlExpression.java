package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

/** A PostgreSQL expression, evaluated by PostgreSQL in the warehouse; the text is kept exactly as written. */
public record SqlExpression(String sql) {

    public SqlExpression {
        requireNonNull(sql, "sql");
        if (sql.isBlank()) {
            throw new IllegalArgumentException("an expression must not be blank");
        }
    }

    /** Returns the expression text. */
    @Override
    public String toString() {
        return sql;
    }
}
