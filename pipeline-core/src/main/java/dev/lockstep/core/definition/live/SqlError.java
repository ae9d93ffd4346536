package dev.lockstep.core.definition.live;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/** PostgreSQL's error for an expression: message, SQLSTATE, 1-based character position in the expression (0 when unknown). */
public record SqlError(String message, String sqlState, int position, Optional<String> hint) {

    public SqlError {
        requireNonNull(message, "message");
        requireNonNull(sqlState, "sqlState");
        requireNonNull(hint, "hint");
    }
}
