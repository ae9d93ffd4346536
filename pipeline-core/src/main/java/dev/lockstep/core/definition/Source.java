package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.stream.TableId;
import java.util.List;

/** The source database and the tables whose changes the pipeline captures. */
public record Source(SourcePostgres postgres, List<TableId> tables, SnapshotMode snapshot, boolean fanout) {

    public Source {
        requireNonNull(postgres, "postgres");
        tables = List.copyOf(tables);
        requireNonNull(snapshot, "snapshot");
        if (tables.isEmpty()) {
            throw new IllegalArgumentException("a source needs at least one table");
        }
    }
}
