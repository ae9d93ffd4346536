package dev.lockstep.core.definition;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The checked-in JSON Schema and reference are what the declarations generate, and the schema and the model
 * records have the same shape, walked both ways. Regenerate the files with {@code -Dlockstep.updateDocs=true}.
 */
class DefinitionSchemaTest {

    private static final Path SCHEMA = Fixtures.repository("docs/pipeline.schema.json");
    private static final Path REFERENCE = Fixtures.repository("docs/pipeline-definition.md");
    private static final String BEGIN = "<!-- BEGIN GENERATED REFERENCE: DefinitionSchemaTest regenerates it -->\n";
    private static final String END = "<!-- END GENERATED REFERENCE -->";
    private static final boolean UPDATE = Boolean.getBoolean("lockstep.updateDocs");

    private JsonNode schema;
    private final Set<String> reached = new HashSet<>();

    @Test
    void shouldMatchTheCheckedInSchema() throws IOException {
        String generated = DefinitionSchema.jsonSchema();
        if (UPDATE) {
            Files.writeString(SCHEMA, generated);
        }

        assertThat(SCHEMA).as("docs/pipeline.schema.json is stale: run the tests with -Dlockstep.updateDocs=true")
                .hasContent(generated);
    }

    @Test
    void shouldMatchTheCheckedInReference() throws IOException {
        String document = Files.readString(REFERENCE);
        int begin = document.indexOf(BEGIN);
        int end = document.indexOf(END);
        assertThat(begin).as("markers in docs/pipeline-definition.md").isNotNegative();
        assertThat(end).isGreaterThan(begin);
        String current = document.substring(begin + BEGIN.length(), end);
        String generated = DefinitionSchema.referenceMarkdown();
        if (UPDATE) {
            Files.writeString(REFERENCE, document.substring(0, begin + BEGIN.length()) + generated
                    + document.substring(end));
        } else {
            assertThat(current).as("the reference in docs/pipeline-definition.md is stale: run the tests with "
                    + "-Dlockstep.updateDocs=true").isEqualTo(generated);
        }
    }

    @Test
    void shouldHaveTheModelsShapeWalkedBothWays() throws IOException {
        schema = new ObjectMapper().readTree(DefinitionSchema.jsonSchema());

        walkRecord(PipelineDefinition.class, schema, false, "");

        Set<String> definitions = new TreeSet<>();
        schema.get("definitions").fieldNames().forEachRemaining(definitions::add);
        assertThat(reached).as("schema definitions the model reaches").containsAll(definitions);
    }

    @Test
    void shouldDescribeAndDefaultEveryProperty() throws IOException {
        JsonNode root = new ObjectMapper().readTree(DefinitionSchema.jsonSchema());
        List<String> undocumented = new ArrayList<>();
        List<JsonNode> objects = new ArrayList<>(List.of(root));
        root.get("definitions").forEach(objects::add);
        for (JsonNode object : objects) {
            object.get("properties").fields().forEachRemaining(p -> {
                if (!p.getValue().hasNonNull("description") || p.getValue().get("description").asText().isBlank()) {
                    undocumented.add(p.getKey());
                }
            });
        }

        assertThat(undocumented).isEmpty();
        assertThat(root.at("/properties/load/description").asText()).contains("Default:");
        assertThat(root.at("/definitions/load/properties/batch_size/default").asInt()).isEqualTo(Load.DEFAULT_BATCH_SIZE);
        assertThat(root.at("/definitions/rule_not_null/properties/on_fail/default").asText()).isEqualTo("quarantine");
        assertThat(root.at("/definitions/rule_references/properties/on_fail/default").asText())
                .isEqualTo("unknown_member");
    }

    @Test
    void shouldAcceptEveryKeyOfTheValidCorpus() throws IOException {
        schema = new ObjectMapper().readTree(DefinitionSchema.jsonSchema());
        var yaml = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();
        List<String> unknown = new ArrayList<>();
        for (Path file : ValidDefinitionsTest.validDefinitions().toList()) {
            keysKnown(yaml.readTree(file.toFile()), schema, file.getFileName() + ":", unknown);
        }

        assertThat(unknown).isEmpty();
    }

    // ---- the model walk

    /** Matches a record's components to a schema object's properties, then recurses into nested records. */
    private void walkRecord(Class<?> type, JsonNode node, boolean mapValue, String path) {
        JsonNode object = resolve(node);
        assertThat(object.has("properties")).as(path + " is an object in the schema").isTrue();
        Set<String> properties = new TreeSet<>();
        object.get("properties").fieldNames().forEachRemaining(properties::add);
        Map<String, RecordComponent> components = new java.util.TreeMap<>();
        for (RecordComponent component : type.getRecordComponents()) {
            if (!(mapValue && component.getName().equals("name"))) {
                components.put(snake(component.getName()), component);
            }
        }
        Set<String> expected = new TreeSet<>(components.keySet());
        if (QualityRule.class.isAssignableFrom(type)) {
            expected.add("rule");
        }
        assertThat(properties).as("schema properties of " + path + " vs components of " + type.getSimpleName())
                .isEqualTo(expected);
        components.forEach((key, component) ->
                walkValue(component.getGenericType(), object.get("properties").get(key), path + "." + key));
    }

    /** Follows a component's type into the schema: records, lists, maps, optionals, sealed interfaces. */
    private void walkValue(Type type, JsonNode node, String path) {
        Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
        JsonNode resolved = resolve(node);
        if (raw == Optional.class) {
            walkValue(argument(type, 0), node, path);
        } else if (raw == List.class) {
            walkValue(argument(type, 0), branch(resolved, "array").map(a -> a.get("items")).orElse(resolved), path + "[]");
        } else if (raw == Map.class) {
            Type value = argument(type, 1);
            JsonNode values = resolved.get("additionalProperties");
            assertThat(values).as(path + " is a map in the schema").isNotNull();
            walkMapValue(value, values, path + ".*");
        } else if (raw.isSealed()) {
            walkSealed(raw, resolved, false, path);
        } else if (raw.isRecord() && objectBranch(resolved).isPresent()) {
            walkRecord(raw, objectBranch(resolved).get(), false, path);
        } else {
            collectRefs(node);
        }
    }

    private void walkMapValue(Type value, JsonNode node, String path) {
        Class<?> raw = (Class<?>) value;
        JsonNode resolved = resolve(node);
        if (raw.isSealed()) {
            walkSealed(raw, resolved, true, path);
        } else if (raw.isRecord() && objectBranch(resolved).isPresent()) {
            walkRecord(raw, objectBranch(resolved).get(), true, path);
        } else {
            collectRefs(node);
        }
    }

    /** Each permitted record matches exactly one oneOf branch by its keys, and every branch is matched. */
    private void walkSealed(Class<?> sealed, JsonNode node, boolean mapValue, String path) {
        JsonNode oneOf = node.get("oneOf");
        assertThat(oneOf).as(path + " is a oneOf in the schema").isNotNull();
        List<JsonNode> branches = new ArrayList<>();
        oneOf.forEach(b -> branches.add(resolve(b)));
        assertThat(branches).as(path + ": one branch per " + sealed.getSimpleName()).hasSize(
                sealed.getPermittedSubclasses().length);
        for (Class<?> permitted : sealed.getPermittedSubclasses()) {
            JsonNode match = branches.stream().filter(b -> keysOf(b).equals(expectedKeys(permitted, mapValue)))
                    .findFirst().orElse(null);
            assertThat(match).as(path + ": a branch with the keys of " + permitted.getSimpleName() + " "
                    + expectedKeys(permitted, mapValue)).isNotNull();
            walkRecord(permitted, match, mapValue, path + "<" + permitted.getSimpleName() + ">");
        }
    }

    private static Set<String> expectedKeys(Class<?> type, boolean mapValue) {
        Set<String> keys = new TreeSet<>();
        for (RecordComponent c : type.getRecordComponents()) {
            if (!(mapValue && c.getName().equals("name"))) {
                keys.add(snake(c.getName()));
            }
        }
        if (QualityRule.class.isAssignableFrom(type)) {
            keys.add("rule");
        }
        return keys;
    }

    private static Set<String> keysOf(JsonNode object) {
        Set<String> keys = new TreeSet<>();
        if (object.has("properties")) {
            object.get("properties").fieldNames().forEachRemaining(keys::add);
        }
        return keys;
    }

    /** Resolves $ref and single-element allOf wrappers, remembering which definitions were reached. */
    private JsonNode resolve(JsonNode node) {
        JsonNode current = node;
        while (true) {
            if (current.has("$ref")) {
                String name = current.get("$ref").asText().replace("#/definitions/", "");
                reached.add(name);
                current = schema.get("definitions").get(name);
            } else if (current.has("allOf") && current.get("allOf").size() == 1) {
                current = current.get("allOf").get(0);
            } else {
                return current;
            }
        }
    }

    private Optional<JsonNode> objectBranch(JsonNode node) {
        if (node.has("properties")) {
            return Optional.of(node);
        }
        for (String combinator : List.of("anyOf", "oneOf")) {
            if (node.has(combinator)) {
                for (JsonNode branch : node.get(combinator)) {
                    JsonNode resolved = resolve(branch);
                    if (resolved.has("properties")) {
                        return Optional.of(resolved);
                    }
                }
            }
        }
        return Optional.empty();
    }

    private Optional<JsonNode> branch(JsonNode node, String type) {
        if (type.equals(node.path("type").asText())) {
            return Optional.of(node);
        }
        if (node.has("anyOf")) {
            for (JsonNode branch : node.get("anyOf")) {
                if (type.equals(resolve(branch).path("type").asText())) {
                    return Optional.of(resolve(branch));
                }
            }
        }
        return Optional.empty();
    }

    private void collectRefs(JsonNode node) {
        if (node.has("$ref")) {
            resolve(node);
        }
        node.forEach(this::collectRefs);
    }

    private static Type argument(Type type, int index) {
        return ((ParameterizedType) type).getActualTypeArguments()[index];
    }

    private static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    // ---- keys of YAML documents against the schema

    private void keysKnown(JsonNode value, JsonNode node, String path, List<String> unknown) {
        JsonNode s = resolve(node);
        if (value.isObject()) {
            List<JsonNode> candidates = new ArrayList<>();
            if (s.has("properties") || s.has("additionalProperties")) {
                candidates.add(s);
            }
            for (String combinator : List.of("anyOf", "oneOf")) {
                if (s.has(combinator)) {
                    s.get(combinator).forEach(b -> {
                        JsonNode branch = resolve(b);
                        if (branch.has("properties") || branch.has("additionalProperties")) {
                            candidates.add(branch);
                        }
                    });
                }
            }
            JsonNode chosen = candidates.stream().filter(c -> fits(value, c)).findFirst().orElse(null);
            if (chosen == null) {
                unknown.add(path + " fits no schema object");
                return;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode property = chosen.path("properties").get(e.getKey());
                if (property == null && chosen.get("additionalProperties") instanceof ObjectNode map) {
                    property = map;
                }
                if (e.getKey().equals("<<") || property == null && e.getKey().startsWith("x-")
                        && chosen.has("patternProperties")) {
                    continue;
                }
                if (property == null) {
                    unknown.add(path + e.getKey());
                } else {
                    keysKnown(e.getValue(), property, path + e.getKey() + ".", unknown);
                }
            }
        } else if (value.isArray()) {
            branch(s, "array").ifPresent(a -> value.forEach(item -> keysKnown(item, a.get("items"), path, unknown)));
        }
    }

    private boolean fits(JsonNode value, JsonNode object) {
        if (!object.has("properties")) {
            return true;
        }
        Set<String> keys = keysOf(object);
        for (Iterator<String> names = value.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!keys.contains(name) && !name.startsWith("x-") && !name.equals("<<")) {
                return false;
            }
        }
        JsonNode rule = object.at("/properties/rule/enum");
        return rule.isMissingNode() || rule.get(0).asText().equals(value.path("rule").asText());
    }
}
