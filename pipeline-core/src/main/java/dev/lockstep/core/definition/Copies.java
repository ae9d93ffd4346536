package dev.lockstep.core.definition;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Immutable copies that keep the definition's order. */
final class Copies {

    private Copies() {}

    static <K, V> Map<K, V> orderedMap(Map<K, V> map) {
        LinkedHashMap<K, V> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(java.util.Objects.requireNonNull(k), java.util.Objects.requireNonNull(v)));
        return Collections.unmodifiableMap(copy);
    }
}
