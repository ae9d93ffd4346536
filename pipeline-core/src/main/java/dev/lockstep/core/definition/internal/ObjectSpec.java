package dev.lockstep.core.definition.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lockstep.core.definition.ProblemType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** A mapping with a fixed set of keys, declared as {@link Field}s, and the model record it becomes. */
public final class ObjectSpec extends Type<Section> {

    private final String id;
    private final String title;
    private final String doc;
    private final Class<?> model;
    private final Map<String, Field<?>> fields = new LinkedHashMap<>();
    private final boolean extensions;

    public ObjectSpec(String id, String title, String doc, Class<?> model, List<Field<?>> fields) {
        this(id, title, doc, model, fields, false);
    }

    private ObjectSpec(String id, String title, String doc, Class<?> model, List<Field<?>> fields,
            boolean extensions) {
        this.extensions = extensions;
        this.id = id;
        this.title = title;
        this.doc = doc;
        this.model = model;
        for (Field<?> field : fields) {
            if (this.fields.put(field.key(), field) != null) {
                throw new IllegalArgumentException(id + ": key " + field.key() + " declared twice");
            }
        }
    }

    /** Returns a copy that ignores keys starting with {@code x-} (a place for YAML anchors). */
    public ObjectSpec withExtensions() {
        return new ObjectSpec(id, title, doc, model, List.copyOf(fields.values()), true);
    }

    /** Returns true if keys starting with {@code x-} are ignored. */
    public boolean extensions() {
        return extensions;
    }

    /** Returns the id of the spec's JSON Schema definition. */
    public String id() {
        return id;
    }

    /** Returns the heading of the spec in the reference documentation. */
    public String title() {
        return title;
    }

    public String doc() {
        return doc;
    }

    /** Returns the model record the spec becomes, for the drift test. */
    public Class<?> model() {
        return model;
    }

    /** Returns the fields in declaration order. */
    public List<Field<?>> fields() {
        return List.copyOf(fields.values());
    }

    /** Returns the field with this key, if declared. */
    public Optional<Field<?>> field(String key) {
        return Optional.ofNullable(fields.get(key));
    }

    @Override
    public Section read(YamlNode node, String path, Binder binder) {
        return read(node, path, binder, key -> Optional.empty());
    }

    /**
     * Reads a mapping; {@code elsewhere} says, for an unknown key, where it would be allowed (for kinds of rules).
     */
    public Section read(YamlNode node, String path, Binder binder, Function<String, Optional<String>> elsewhere) {
        if (node instanceof YamlNode.Scalar s && s.broken()) {
            return null;
        }
        Section section = new Section(this, path, node);
        if (node instanceof YamlNode.Mapping mapping) {
            for (YamlNode.Entry entry : mapping.entries()) {
                readEntry(section, entry, binder, elsewhere);
            }
        } else if (!(node instanceof YamlNode.Scalar s && s.isNull())) {
            return binder.wrongType(node, path, "a mapping with keys " + String.join(", ", fields.keySet()));
        }
        for (Field<?> field : fields.values()) {
            if (field.required() && !section.wrote(field)) {
                binder.error(ProblemType.MISSING_KEY, node, path,
                        "missing required key `" + field.key() + "`: " + firstSentence(field.doc()));
            }
        }
        return section;
    }

    private void readEntry(Section section, YamlNode.Entry entry, Binder binder,
            Function<String, Optional<String>> elsewhere) {
        String childPath = join(section.path(), entry.key());
        Field<?> field = fields.get(entry.key());
        if (field == null && extensions && entry.key().startsWith("x-")) {
            return;
        }
        if (field == null) {
            binder.error(ProblemType.UNKNOWN_KEY, entry.keyLocation(), childPath, unknownKey(entry.key(), elsewhere));
            return;
        }
        section.markWritten(field.key());
        Object value = field.type().read(entry.value(), childPath, binder);
        if (value != null) {
            Located<?> located = new Located<>(value, childPath, entry.keyLocation(), entry.value());
            section.put(field, located);
            binder.remember(located);
        }
    }

    private String unknownKey(String key, Function<String, Optional<String>> elsewhere) {
        Optional<String> other = elsewhere.apply(key);
        String shown = key.length() > 60 ? key.substring(0, 60) + "…" : key;
        if (other.isPresent()) {
            return "`" + shown + "` is not allowed here; it belongs to " + other.get() + ". Allowed here: "
                    + String.join(", ", fields.keySet());
        }
        return "unknown key `" + shown + "`; " + Suggestions.didYouMean(key, fields.keySet())
                + "allowed here: " + String.join(", ", fields.keySet());
    }

    /** Returns {@code parent.key}, or {@code key} at the root. */
    public static String join(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    static String firstSentence(String doc) {
        int end = doc.indexOf(". ");
        String sentence = end < 0 ? doc : doc.substring(0, end);
        sentence = sentence.endsWith(".") ? sentence.substring(0, sentence.length() - 1) : sentence;
        return sentence.isEmpty() ? sentence : Character.toLowerCase(sentence.charAt(0)) + sentence.substring(1);
    }

    @Override
    public ObjectNode schema(SchemaWriter writer) {
        return writer.ref(this);
    }

    /** Returns the full JSON Schema definition of this spec. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public ObjectNode definition(SchemaWriter writer) {
        ObjectNode schema = writer.object();
        schema.put("type", "object");
        schema.put("description", doc);
        ObjectNode properties = schema.putObject("properties");
        for (Field field : fields.values()) {
            properties.set(field.key(), property(field, writer));
        }
        var required = fields.values().stream().filter(Field::required).map(Field::key).toList();
        if (!required.isEmpty()) {
            var array = schema.putArray("required");
            required.forEach(array::add);
        }
        if (extensions) {
            schema.putObject("patternProperties").putObject("^x-").put("description",
                    "Ignored: a place for YAML anchors to reuse with aliases and merge keys (<<).");
        }
        schema.put("additionalProperties", false);
        return schema;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static ObjectNode property(Field field, SchemaWriter writer) {
        ObjectNode type = field.type().schema(writer).deepCopy();
        ObjectNode property = type;
        if (type.has("$ref")) {
            property = writer.object();
            property.putArray("allOf").add(type);
        }
        property.put("description", field.doc()
                + (field.defaultNote() == null ? "" : " Default: " + field.defaultNote() + "."));
        if (field.defaultValue() != null) {
            property.set("default", writer.json(field.type().toJson(field.defaultValue())));
        }
        if (field.example() != null) {
            ObjectNode target = property;
            writer.yaml(field.example()).ifPresent(example -> target.putArray("examples").add(example));
        }
        return property;
    }

    @Override
    public String describe() {
        return title;
    }

    @Override
    public String describeMarkdown() {
        return "[" + title.replace("`", "") + "](#" + id.replace('_', '-') + ")";
    }

    @Override
    public List<ObjectSpec> nested() {
        return List.of(this);
    }

    @Override
    public String toString() {
        return id;
    }
}
