package dev.lockstep.core.definition.internal;

import dev.lockstep.core.definition.Location;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A mapping read against an {@link ObjectSpec}: its valid values by key, with positions. */
public final class Section {

    private final ObjectSpec spec;
    private final String path;
    private final YamlNode node;
    private final Map<String, Located<?>> values = new LinkedHashMap<>();
    private final Set<String> written = new HashSet<>();

    Section(ObjectSpec spec, String path, YamlNode node) {
        this.spec = spec;
        this.path = path;
        this.node = node;
    }

    public ObjectSpec spec() {
        return spec;
    }

    public String path() {
        return path;
    }

    /** Returns where the mapping starts. */
    public Location location() {
        return node.location();
    }

    public YamlNode node() {
        return node;
    }

    void put(Field<?> field, Located<?> value) {
        values.put(field.key(), value);
        written.add(field.key());
    }

    void markWritten(String key) {
        written.add(key);
    }

    /** Returns the value of a field as written, or null when it is absent or invalid. */
    @SuppressWarnings("unchecked")
    public <T> Located<T> get(Field<T> field) {
        return (Located<T>) values.get(field.key());
    }

    /** Returns the value of a field, its default when absent, or null when invalid or without default. */
    public <T> T value(Field<T> field) {
        Located<T> located = get(field);
        if (located != null) {
            return located.value();
        }
        return written.contains(field.key()) ? null : field.defaultValue();
    }

    /** Returns true if the key was written, valid or not. */
    public boolean wrote(Field<?> field) {
        return written.contains(field.key());
    }

    /** Returns true if the key was written and its value is valid. */
    public boolean has(Field<?> field) {
        return values.containsKey(field.key());
    }
}
