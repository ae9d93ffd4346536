package dev.lockstep.core.definition.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** How a value of the definition format is read, described and shown in the JSON Schema. */
public abstract class Type<T> {

    /** Reads a value; reports problems to the binder and returns null when the value is invalid. */
    public abstract T read(YamlNode node, String path, Binder binder);

    /** Returns the JSON Schema of the value (without description or default, which belong to the field). */
    public abstract ObjectNode schema(SchemaWriter writer);

    /** Returns what the value is, for documentation and messages, e.g. "duration". */
    public abstract String describe();

    /** Returns what the value is, in Markdown, linking to the sections of nested mappings. */
    public String describeMarkdown() {
        return describe();
    }

    /** Returns the mappings nested in this type, for the reference documentation. */
    public java.util.List<ObjectSpec> nested() {
        return java.util.List.of();
    }

    /** Returns a default value as JSON (a String, Number, Boolean, List or Map), for the schema and the docs. */
    public Object toJson(T value) {
        return value;
    }
}
