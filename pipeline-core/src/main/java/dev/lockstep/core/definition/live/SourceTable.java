package dev.lockstep.core.definition.live;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.stream.TableId;
import java.util.List;
import java.util.Optional;

/** A source relation as its database describes it; {@code table} is false for views and other relations. */
public record SourceTable(TableId id, boolean table, String relationKind, List<SourceColumn> columns,
        List<String> primaryKey, ReplicaIdentity replicaIdentity) {

    public SourceTable {
        requireNonNull(id, "id");
        requireNonNull(relationKind, "relationKind");
        columns = List.copyOf(columns);
        primaryKey = List.copyOf(primaryKey);
        requireNonNull(replicaIdentity, "replicaIdentity");
    }

    /** Returns the column with this name, if the table has it. */
    public Optional<SourceColumn> column(String name) {
        return columns.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    /** Returns the columns' names in table order. */
    public List<String> columnNames() {
        return columns.stream().map(SourceColumn::name).toList();
    }
}
