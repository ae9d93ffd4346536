package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

/** The warehouse database and the schema the pipeline's star schema lives in ({@code <schema>_raw} holds its raw layer). */
public record Warehouse(WarehousePostgres postgres, String schema) {

    public Warehouse {
        requireNonNull(postgres, "postgres");
        requireNonNull(schema, "schema");
    }

    /** Returns the schema of the raw layer, {@code <schema>_raw}. */
    public String rawSchema() {
        return schema + "_raw";
    }
}
