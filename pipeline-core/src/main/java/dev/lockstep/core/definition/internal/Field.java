package dev.lockstep.core.definition.internal;

import static java.util.Objects.requireNonNull;

/**
 * One key of the definition format, declared once: its type, whether it is required, its default, its
 * documentation and an example. The parser, the JSON Schema and the reference documentation all read it.
 */
public final class Field<T> {

    private final String key;
    private final Type<T> type;
    private final boolean required;
    private final T defaultValue;
    private final String defaultNote;
    private final String doc;
    private final String example;

    private Field(String key, Type<T> type, boolean required, T defaultValue, String defaultNote, String doc,
            String example) {
        this.key = requireNonNull(key, "key");
        this.type = requireNonNull(type, "type");
        this.required = required;
        this.defaultValue = defaultValue;
        this.defaultNote = defaultNote;
        this.doc = requireNonNull(doc, "doc");
        this.example = example;
    }

    /** Declares a key that must be present. */
    public static <T> Field<T> required(String key, Type<T> type, String doc) {
        return new Field<>(key, type, true, null, null, doc, null);
    }

    /** Declares a key that may be left out. */
    public static <T> Field<T> optional(String key, Type<T> type, String doc) {
        return new Field<>(key, type, false, null, null, doc, null);
    }

    /** Returns a copy with a default value, used when the key is left out. */
    public Field<T> withDefault(T value) {
        return new Field<>(key, type, required, requireNonNull(value, "value"), defaultNote, doc, example);
    }

    /** Returns a copy whose default is computed (described by {@code note}, e.g. "lockstep_<pipeline>"). */
    public Field<T> withDefaultNote(String note) {
        return new Field<>(key, type, required, defaultValue, note, doc, example);
    }

    /** Returns a copy with an example value, as YAML. */
    public Field<T> withExample(String yaml) {
        return new Field<>(key, type, required, defaultValue, defaultNote, doc, yaml);
    }

    public String key() {
        return key;
    }

    public Type<T> type() {
        return type;
    }

    public boolean required() {
        return required;
    }

    /** Returns the default value, or null when there is none or it is computed. */
    public T defaultValue() {
        return defaultValue;
    }

    /** Returns how a computed default is derived, or null. */
    public String defaultNote() {
        return defaultNote;
    }

    public String doc() {
        return doc;
    }

    /** Returns an example as YAML, or null. */
    public String example() {
        return example;
    }

    @Override
    public String toString() {
        return key;
    }
}
