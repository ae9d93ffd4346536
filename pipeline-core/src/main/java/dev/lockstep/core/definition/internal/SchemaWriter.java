package dev.lockstep.core.definition.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds the JSON Schema (draft-07, as editors support it best); each object spec becomes one definition. */
public final class SchemaWriter {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectMapper YAML = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();

    /** Accepts {@code ${VAR}} where the schema would otherwise want a number, boolean or pattern. */
    public static final String INTERPOLATION = "^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}$";

    private final Map<String, ObjectNode> definitions = new LinkedHashMap<>();

    /** Returns a new empty JSON object. */
    public ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    /** Returns a new empty JSON array. */
    public ArrayNode array() {
        return JsonNodeFactory.instance.arrayNode();
    }

    /** Returns {"$ref": …} to the spec's definition, writing the definition the first time. */
    public ObjectNode ref(ObjectSpec spec) {
        if (!definitions.containsKey(spec.id())) {
            definitions.put(spec.id(), null);
            definitions.put(spec.id(), spec.definition(this));
        }
        return object().put("$ref", "#/definitions/" + spec.id());
    }

    /** Returns {@code {"anyOf": [schema, interpolation]}}. */
    public ObjectNode orInterpolated(ObjectNode schema) {
        ObjectNode any = object();
        any.putArray("anyOf").add(schema).add(object().put("type", "string").put("pattern", INTERPOLATION));
        return any;
    }

    /** Converts a Java value (String, Number, Boolean, List, Map) to JSON. */
    public JsonNode json(Object value) {
        return MAPPER.valueToTree(value);
    }

    /** Parses a YAML example into JSON, if it parses. */
    public java.util.Optional<JsonNode> yaml(String example) {
        try {
            return java.util.Optional.ofNullable(YAML.readTree(example));
        } catch (java.io.IOException e) {
            return java.util.Optional.empty();
        }
    }

    /** Returns the whole schema with the root spec's definition inlined at the top. */
    public ObjectNode document(ObjectSpec root, String id, String title) {
        ObjectNode rootDefinition = root.definition(this);
        ObjectNode document = object();
        document.put("$schema", "http://json-schema.org/draft-07/schema#");
        document.put("$id", id);
        document.put("title", title);
        document.setAll(rootDefinition);
        ObjectNode defs = document.putObject("definitions");
        definitions.forEach((name, definition) -> {
            if (definition != null) {
                defs.set(name, definition);
            }
        });
        return document;
    }
}
