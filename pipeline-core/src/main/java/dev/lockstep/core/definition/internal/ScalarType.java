package dev.lockstep.core.definition.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lockstep.core.definition.internal.YamlNode.Scalar;
import java.util.function.Function;

/**
 * A type read from one scalar, made of its parts: what is expected (for messages), what it is called (for the
 * reference documentation), its JSON Schema, how a scalar converts to a value and, for a value JSON has no type
 * for, how it is written back.
 */
final class ScalarType<T> extends Type<T> {

    /** Converts a scalar that has a value; reports to the binder and returns null when the value is invalid. */
    @FunctionalInterface
    interface Converter<T> {
        T convert(Scalar scalar, String path, Binder binder);
    }

    private final String expected;
    private final String describe;
    private final Function<SchemaWriter, ObjectNode> schema;
    private final Converter<T> converter;
    private final Function<T, Object> json;

    private ScalarType(String expected, String describe, Function<SchemaWriter, ObjectNode> schema,
            Converter<T> converter, Function<T, Object> json) {
        this.expected = expected;
        this.describe = describe;
        this.schema = schema;
        this.converter = converter;
        this.json = json;
    }

    /**
     * @param expected  what a message says is expected, e.g. "a duration such as 200ms, 5m or 1h"
     * @param describe  what the reference documentation calls the value, e.g. "duration"
     */
    static <T> ScalarType<T> of(String expected, String describe, Function<SchemaWriter, ObjectNode> schema,
            Converter<T> converter) {
        return new ScalarType<>(expected, describe, schema, converter, null);
    }

    /** This type, with its values written to JSON (defaults in the schema and the docs) by {@code json}. */
    ScalarType<T> writtenAs(Function<T, Object> json) {
        return new ScalarType<>(expected, describe, schema, converter, json);
    }

    /** A JSON Schema {@code {"type": "string"}}, to add constraints to. */
    static ObjectNode string(SchemaWriter writer) {
        return writer.object().put("type", "string");
    }

    @Override
    public T read(YamlNode node, String path, Binder binder) {
        Scalar scalar = binder.scalar(node, path, expected);
        return scalar == null ? null : converter.convert(scalar, path, binder);
    }

    @Override
    public ObjectNode schema(SchemaWriter writer) {
        return schema.apply(writer);
    }

    @Override
    public String describe() {
        return describe;
    }

    @Override
    public Object toJson(T value) {
        return json == null ? value : json.apply(value);
    }
}
