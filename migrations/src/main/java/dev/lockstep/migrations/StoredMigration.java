package dev.lockstep.migrations;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * A row of {@code lockstep.warehouse_migrations}: a generated warehouse migration as it was stored the first time
 * it was generated. {@code appliedAt} is null while Flyway has not applied it.
 */
record StoredMigration(int version, String description, String phase, int definitionVersion, String up,
        String down, String checksum, Instant appliedAt) {

    StoredMigration {
        requireNonNull(description, "description");
        requireNonNull(phase, "phase");
        requireNonNull(up, "up");
        requireNonNull(down, "down");
        requireNonNull(checksum, "checksum");
    }

    /** Returns Flyway's file name for the stored script, {@code V<version>__<description>.sql}. */
    String fileName() {
        return "V" + version + "__" + description + ".sql";
    }
}
