package dev.lockstep.warehouse.testing;

import dev.lockstep.core.definition.live.ReplicaIdentity;
import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import java.util.Arrays;
import java.util.List;

/** Source tables as the catalog describes them, written short for tests that type a star schema without a database. */
public final class SourceTables {

    private SourceTables() {}

    /** Returns table {@code id} with {@code columns} ({@code "name type"}), keyed by its column {@code id}. */
    public static SourceTable table(String id, String... columns) {
        List<SourceColumn> list = Arrays.stream(columns).map(c -> {
            String[] parts = c.split(" ", 2);
            return new SourceColumn(parts[0], parts[1], SourceColumn.Kind.BASE, parts[1], parts[0].equals("id"));
        }).toList();
        return new SourceTable(TableId.parse(id), true, "r", list, List.of("id"),
                new ReplicaIdentity(ReplicaIdentity.Mode.DEFAULT, List.of()));
    }
}
