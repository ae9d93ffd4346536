package dev.lockstep.warehouse.raw;

import static java.util.Objects.requireNonNull;

/**
 * A generated warehouse migration: its Flyway version and description, the script that applies it and the
 * script that reverts it. Generated once per pipeline and version, stored, never regenerated.
 */
public record MigrationScript(int version, String description, String up, String down) {

    public MigrationScript {
        requireNonNull(description, "description");
        requireNonNull(up, "up");
        requireNonNull(down, "down");
        if (version < 1) {
            throw new IllegalArgumentException("version must be positive");
        }
        if (!description.matches("[a-z0-9_]+")) {
            throw new IllegalArgumentException("description must be lower-case words joined by _: " + description);
        }
    }

    /** Returns Flyway's file name for this migration, {@code V<version>__<description>.sql}. */
    public String fileName() {
        return "V" + version + "__" + description + ".sql";
    }
}
