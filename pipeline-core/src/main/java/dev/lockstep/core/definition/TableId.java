package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/** A source table: schema and table name, as stored in PostgreSQL's catalog (case preserved, unquoted). */
public record TableId(String schema, String table) {

    private static final Pattern PLAIN = Pattern.compile("[a-z_][a-z0-9_$]*");

    public TableId {
        requireNonNull(schema, "schema");
        requireNonNull(table, "table");
        if (schema.isEmpty() || table.isEmpty()) {
            throw new IllegalArgumentException("schema and table must not be empty");
        }
    }

    /** Returns the table {@code schema.table}. */
    public static TableId of(String schema, String table) {
        return new TableId(schema, table);
    }

    /** Returns the name quoted for SQL, always: {@code "public"."customers"}. */
    public String quoted() {
        return quote(schema) + "." + quote(table);
    }

    /** Returns {@code schema.table}, quoting only the parts that need it, as written in a definition. */
    @Override
    public String toString() {
        return display(schema) + "." + display(table);
    }

    /** Quotes an identifier for SQL. */
    public static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** Returns the identifier as a definition writes it: plain when it can be, quoted otherwise. */
    public static String display(String identifier) {
        return PLAIN.matcher(identifier).matches() ? identifier : quote(identifier);
    }
}
