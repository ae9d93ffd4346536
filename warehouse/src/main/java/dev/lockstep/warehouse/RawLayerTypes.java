package dev.lockstep.warehouse;

import dev.lockstep.core.definition.live.SourceColumn;

/**
 * The type a source column has in the warehouse's raw layer. The warehouse does not have the source's own types,
 * so user-defined ones become built-in: enums and composites as {@code text}, domains as their base type, arrays
 * of enums as {@code text[]}.
 */
public final class RawLayerTypes {

    private RawLayerTypes() {}

    /** Returns the raw layer's PostgreSQL type for a source column. */
    public static String of(SourceColumn column) {
        return switch (column.kind()) {
            case ENUM, COMPOSITE, OTHER -> "text";
            case DOMAIN, ARRAY -> column.baseType();
            case BASE, RANGE -> column.type();
        };
    }
}
