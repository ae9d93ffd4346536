package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A fact's reference to a dimension, under a role name ({@code customer}, or {@code ship_date} for a second use
 * of the date dimension): the expressions that give the dimension's natural key (for the date dimension, one
 * date or timestamp expression). The fact gets the column {@code <name>_key}.
 */
public record DimensionReference(String name, String dimension, List<SqlExpression> key) {

    public DimensionReference {
        requireNonNull(name, "name");
        requireNonNull(dimension, "dimension");
        key = List.copyOf(key);
        if (key.isEmpty()) {
            throw new IllegalArgumentException("reference " + name + " needs a key expression");
        }
    }

    /** Returns the fact's column holding the dimension's surrogate key, {@code <name>_key}. */
    public String column() {
        return name + "_key";
    }
}
