package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.stream.TableId;
import java.util.Optional;

/**
 * A related source table joined in to flatten it into a dimension or fact: rows of {@code from} whose
 * {@code key} (by default its primary key) equals the column {@code on}.
 */
public record Lookup(String name, TableId from, ColumnRef on, Optional<String> key) {

    public Lookup {
        requireNonNull(name, "name");
        requireNonNull(from, "from");
        requireNonNull(on, "on");
        requireNonNull(key, "key");
    }
}
