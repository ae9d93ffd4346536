package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.stream.TableId;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A fact table built from a source table: one row per {@code grain}, with a surrogate key per dimension
 * reference and a column per measure; {@code renamedFrom} maps a measure renamed since the deployed version to its
 * previous name.
 */
public record Fact(
        String name,
        TableId from,
        List<String> grain,
        Map<String, Lookup> lookup,
        Map<String, DimensionReference> dimensions,
        Map<String, SqlExpression> measures,
        Map<String, String> renamedFrom,
        Optional<String> partitionBy,
        DeletePolicy onDelete) {

    public Fact {
        requireNonNull(name, "name");
        requireNonNull(from, "from");
        grain = List.copyOf(grain);
        lookup = Copies.orderedMap(lookup);
        dimensions = Copies.orderedMap(dimensions);
        measures = Copies.orderedMap(measures);
        renamedFrom = Copies.orderedMap(renamedFrom);
        requireNonNull(partitionBy, "partitionBy");
        requireNonNull(onDelete, "onDelete");
        if (grain.isEmpty()) {
            throw new IllegalArgumentException("fact " + name + " needs a grain");
        }
    }

    /** Returns the warehouse table, {@code fact_<name>}. */
    public String tableName() {
        return "fact_" + name;
    }
}
