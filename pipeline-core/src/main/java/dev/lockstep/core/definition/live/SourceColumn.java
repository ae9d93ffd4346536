package dev.lockstep.core.definition.live;

import static java.util.Objects.requireNonNull;

/**
 * A column of a source table as the source database describes it: {@code type} as PostgreSQL formats it
 * ({@code numeric(10,2)}), its {@code kind}, and for a domain its base type.
 */
public record SourceColumn(String name, String type, Kind kind, String baseType, boolean notNull) {

    /** What kind of type the column has; the raw layer stores enums as text and domains as their base type. */
    public enum Kind { BASE, ENUM, DOMAIN, COMPOSITE, RANGE, ARRAY, OTHER }

    public SourceColumn {
        requireNonNull(name, "name");
        requireNonNull(type, "type");
        requireNonNull(kind, "kind");
        requireNonNull(baseType, "baseType");
    }
}
