package dev.lockstep.core.definition.live;

import static java.util.Objects.requireNonNull;

/** A warehouse column computed by an expression, with the type PostgreSQL gives it. */
public record DerivedColumn(String table, String column, String type, String path) {

    public DerivedColumn {
        requireNonNull(table, "table");
        requireNonNull(column, "column");
        requireNonNull(type, "type");
        requireNonNull(path, "path");
    }
}
