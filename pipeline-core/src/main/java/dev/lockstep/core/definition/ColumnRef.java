package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/** A column of the table a dimension or fact reads ({@code customer_id}) or of one of its lookups ({@code ord.customer_id}). */
public record ColumnRef(Optional<String> lookup, String column) {

    public ColumnRef {
        requireNonNull(lookup, "lookup");
        requireNonNull(column, "column");
    }

    /** Returns a column of the dimension's or fact's own table. */
    public static ColumnRef of(String column) {
        return new ColumnRef(Optional.empty(), column);
    }

    /** Returns a column of a lookup. */
    public static ColumnRef of(String lookup, String column) {
        return new ColumnRef(Optional.of(lookup), column);
    }

    @Override
    public String toString() {
        return lookup.map(l -> l + ".").orElse("") + SqlIdentifiers.display(column);
    }
}
