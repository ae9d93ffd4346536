package dev.lockstep.core.stream;

import static java.util.Objects.requireNonNull;

/** A source table, schema-qualified. */
public record TableId(String schema, String table) {

    public TableId {
        requireNonNull(schema, "schema");
        requireNonNull(table, "table");
        if (schema.isEmpty() || table.isEmpty()) {
            throw new IllegalArgumentException("schema and table must not be empty");
        }
    }

    /** Parses {@code schema.table}; a name without a schema is in {@code public}. */
    public static TableId parse(String qualified) {
        requireNonNull(qualified, "qualified");
        int dot = qualified.indexOf('.');
        return dot < 0 ? new TableId("public", qualified)
                : new TableId(qualified.substring(0, dot), qualified.substring(dot + 1));
    }

    /** Returns {@code schema.table}. */
    @Override
    public String toString() {
        return schema + "." + table;
    }
}
