package dev.lockstep.core.definition.internal;

import dev.lockstep.core.definition.Location;

/**
 * A value read from a definition, with its field path and where it was written; {@code node} is the YAML it was
 * read from (for a map entry: the value, while {@code location} is the key's).
 */
public record Located<T>(T value, String path, Location location, YamlNode node) {

    /** Returns the same place holding another value. */
    public <U> Located<U> with(U other) {
        return new Located<>(other, path, location, node);
    }
}
