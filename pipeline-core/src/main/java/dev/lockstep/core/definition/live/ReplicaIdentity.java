package dev.lockstep.core.definition.live;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** How a source table identifies its rows in the WAL ({@code ALTER TABLE … REPLICA IDENTITY}). */
public record ReplicaIdentity(Mode mode, List<String> columns) {

    /** PostgreSQL's replica identity settings. */
    public enum Mode {
        /** The primary key, if there is one. */
        DEFAULT,
        /** A unique index's columns. */
        INDEX,
        /** Every column. */
        FULL,
        /** Nothing: updates and deletes cannot be captured. */
        NOTHING
    }

    public ReplicaIdentity {
        requireNonNull(mode, "mode");
        columns = List.copyOf(columns);
    }
}
