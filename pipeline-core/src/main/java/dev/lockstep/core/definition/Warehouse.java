package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The warehouse database, the schema the pipeline's star schema lives in ({@code <schema>_raw} holds its raw
 * layer) and the folder of its hand-written migrations, if any (an absolute path).
 */
public record Warehouse(WarehousePostgres postgres, String schema, Optional<Path> migrations) {

    public Warehouse {
        requireNonNull(postgres, "postgres");
        requireNonNull(schema, "schema");
        requireNonNull(migrations, "migrations");
    }

    /** Returns a warehouse without hand-written migrations. */
    public Warehouse(WarehousePostgres postgres, String schema) {
        this(postgres, schema, Optional.empty());
    }

    /** Returns the schema of the raw layer, {@code <schema>_raw}. */
    public String rawSchema() {
        return schema + "_raw";
    }
}
