package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The warehouse database, the schema the pipeline's star schema lives in ({@code <schema>_raw} holds its raw
 * layer), the folder of its hand-written migrations, if any (an absolute path), and how long what a deployment
 * retired stays in {@code <schema>_retired}.
 */
public record Warehouse(WarehousePostgres postgres, String schema, Optional<Path> migrations, Duration keepRetired) {

    /** How long retired values stay when the definition does not say. */
    public static final Duration DEFAULT_KEEP_RETIRED = Duration.ofDays(30);

    public Warehouse {
        requireNonNull(postgres, "postgres");
        requireNonNull(schema, "schema");
        requireNonNull(migrations, "migrations");
        requireNonNull(keepRetired, "keepRetired");
    }

    /** Returns a warehouse without hand-written migrations, keeping retired values {@link #DEFAULT_KEEP_RETIRED}. */
    public Warehouse(WarehousePostgres postgres, String schema) {
        this(postgres, schema, Optional.empty(), DEFAULT_KEEP_RETIRED);
    }

    /** Returns the schema of the raw layer, {@code <schema>_raw}. */
    public String rawSchema() {
        return schema + "_raw";
    }
}
