package dev.lockstep.core.definition.live;

import java.util.Optional;

/** The outcome of type-checking one expression: its result type, or PostgreSQL's error. */
public record TypeCheck(Optional<String> type, Optional<SqlError> error) {

    /** Returns a successful check. */
    public static TypeCheck typed(String type) {
        return new TypeCheck(Optional.of(type), Optional.empty());
    }

    /** Returns a failed check. */
    public static TypeCheck failed(SqlError error) {
        return new TypeCheck(Optional.empty(), Optional.of(error));
    }
}
