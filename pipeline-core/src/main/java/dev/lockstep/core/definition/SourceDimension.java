package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.stream.TableId;
import java.util.List;
import java.util.Map;

/**
 * A dimension built from a source table: one row per natural key (SCD 1) or per version (SCD 2).
 *
 * <p>{@code columns} maps each dimension column to the PostgreSQL expression that computes it; {@code tracked}
 * lists the columns whose change starts a new SCD 2 version (all columns unless the definition says otherwise;
 * empty for SCD 1). {@code renamedFrom} maps a column renamed since the deployed version to its previous name.
 */
public record SourceDimension(
        String name,
        TableId from,
        List<String> key,
        ScdType scd,
        Map<String, Lookup> lookup,
        Map<String, SqlExpression> columns,
        Map<String, String> renamedFrom,
        List<String> tracked,
        List<String> pii,
        DeletePolicy onDelete) implements Dimension {

    /** Columns an SCD 2 dimension adds to every row. */
    public static final List<String> SCD2_COLUMNS = List.of("valid_from", "valid_to", "is_current");

    public SourceDimension {
        requireNonNull(name, "name");
        requireNonNull(from, "from");
        key = List.copyOf(key);
        requireNonNull(scd, "scd");
        lookup = Copies.orderedMap(lookup);
        columns = Copies.orderedMap(columns);
        renamedFrom = Copies.orderedMap(renamedFrom);
        tracked = List.copyOf(tracked);
        pii = List.copyOf(pii);
        requireNonNull(onDelete, "onDelete");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("dimension " + name + " needs a natural key");
        }
    }

    @Override
    public int keyArity() {
        return key.size();
    }
}
