package dev.lockstep.core.definition.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lockstep.core.definition.ProblemType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Lists and maps of the definition format. */
public final class CompositeTypes {

    private CompositeTypes() {}

    /** A list; {@code single} accepts one item written without brackets; {@code distinct} refuses repeats. */
    public static <T> Type<List<Located<T>>> list(Type<T> item, boolean single, int minSize, boolean distinct) {
        return new Type<>() {
            @Override
            public List<Located<T>> read(YamlNode node, String path, Binder b) {
                List<YamlNode> items;
                if (node instanceof YamlNode.Sequence sequence) {
                    items = sequence.items();
                } else if (node instanceof YamlNode.Scalar s && s.isNull() && !s.broken()) {
                    items = List.of();
                } else if (node instanceof YamlNode.Scalar s && s.broken()) {
                    return null;
                } else if (single && node instanceof YamlNode.Scalar) {
                    items = List.of(node);
                } else {
                    return b.wrongType(node, path, single ? "a " + item.describe() + ", or a list of them"
                            : "a list, each a " + item.describe());
                }
                if (items.size() < minSize) {
                    b.error(ProblemType.EMPTY_LIST, node, path, "needs at least " + minSize + " "
                            + (minSize == 1 ? "entry" : "entries"));
                    return null;
                }
                List<Located<T>> values = new ArrayList<>();
                Map<T, Located<T>> seen = new HashMap<>();
                for (int i = 0; i < items.size(); i++) {
                    YamlNode itemNode = items.get(i);
                    String itemPath = path + "[" + i + "]";
                    T value = item.read(itemNode, itemPath, b);
                    if (value == null) {
                        continue;
                    }
                    Located<T> located = new Located<>(value, itemPath, itemNode.location(), itemNode);
                    Located<T> first = distinct ? seen.putIfAbsent(value, located) : null;
                    if (first != null) {
                        b.error(ProblemType.DUPLICATE_ENTRY, itemNode, itemPath, "`" + value + "` is listed twice "
                                + "(first at line " + first.location().line() + "); remove one");
                        continue;
                    }
                    b.remember(located);
                    values.add(located);
                }
                return values;
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                ObjectNode array = w.object().put("type", "array");
                array.set("items", item.schema(w));
                if (minSize > 0) {
                    array.put("minItems", minSize);
                }
                if (distinct) {
                    array.put("uniqueItems", true);
                }
                if (!single) {
                    return array;
                }
                ObjectNode any = w.object();
                any.putArray("anyOf").add(item.schema(w)).add(array);
                return any;
            }

            @Override
            public Object toJson(List<Located<T>> value) {
                return value.stream().map(l -> item.toJson(l.value())).toList();
            }

            @Override
            public String describe() {
                return (single ? item.describe() + " or list of " : "list of ") + item.describe();
            }

            @Override
            public String describeMarkdown() {
                return (single ? item.describeMarkdown() + " or list of " : "list of ") + item.describeMarkdown();
            }

            @Override
            public List<ObjectSpec> nested() {
                return item.nested();
            }
        };
    }

    /** A mapping from names the user chooses (checked by {@code names}) to values. */
    public static <V> Type<Map<String, Located<V>>> map(Names.Rule names, Type<V> value) {
        return new Type<>() {
            @Override
            public Map<String, Located<V>> read(YamlNode node, String path, Binder b) {
                if (node instanceof YamlNode.Scalar s && s.broken()) {
                    return null;
                }
                if (node instanceof YamlNode.Scalar s && s.isNull()) {
                    return Map.of();
                }
                if (!(node instanceof YamlNode.Mapping mapping)) {
                    return b.wrongType(node, path, "a mapping of " + names.what() + " to " + value.describe());
                }
                Map<String, Located<V>> values = new LinkedHashMap<>();
                for (YamlNode.Entry entry : mapping.entries()) {
                    String entryPath = ObjectSpec.join(path, entry.key());
                        YamlNode keyNode = new YamlNode.Scalar(YamlNode.ScalarKind.STRING, entry.key(), entry.key(), false,
                            false, entry.keyLocation(), entry.keyOffset());
                    boolean validName = NameTypes.checkName(entry.key(), keyNode, entryPath, b, names);
                    V read = value.read(entry.value(), entryPath, b);
                    if (validName && read != null) {
                        Located<V> located = new Located<>(read, entryPath, entry.keyLocation(), entry.value());
                        b.remember(located);
                        values.put(entry.key(), located);
                    }
                }
                return values;
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                ObjectNode schema = w.object().put("type", "object");
                schema.putObject("propertyNames").put("pattern", "^[a-z_][a-z0-9_]*$");
                schema.set("additionalProperties", value.schema(w));
                return schema;
            }

            @Override
            public Object toJson(Map<String, Located<V>> map) {
                Map<String, Object> json = new LinkedHashMap<>();
                map.forEach((k, v) -> json.put(k, value.toJson(v.value())));
                return json;
            }

            @Override
            public String describe() {
                return "map of " + names.what() + " → " + value.describe();
            }

            @Override
            public String describeMarkdown() {
                return "map of " + names.what() + " → " + value.describeMarkdown();
            }

            @Override
            public List<ObjectSpec> nested() {
                return value.nested();
            }
        };
    }

    /** One of several object specs, chosen by a key: {@code generated} present, or the value of {@code rule}. */
    public static final class Union extends Type<Section> {
        private final String what;
        private final Field<?> discriminator;
        private final Map<Object, ObjectSpec> byValue;
        private final ObjectSpec fallback;
        private final String doc;

        private Union(String what, Field<?> discriminator, Map<Object, ObjectSpec> byValue, ObjectSpec fallback,
                String doc) {
            this.what = what;
            this.discriminator = discriminator;
            this.byValue = byValue;
            this.fallback = fallback;
            this.doc = doc;
        }

        /** Chooses {@code present} when the mapping has the key, {@code absent} otherwise. */
        public static Union byPresence(String what, String key, ObjectSpec present, ObjectSpec absent, String doc) {
            Map<Object, ObjectSpec> byValue = new LinkedHashMap<>();
            byValue.put(key, present);
            return new Union(what, null, byValue, absent, doc);
        }

        /** Chooses the spec by the value of a required discriminator field. */
        public static Union byValue(String what, Field<?> discriminator, Map<?, ObjectSpec> specs, String doc) {
            return new Union(what, discriminator, new LinkedHashMap<>(specs), null, doc);
        }

        /** Returns the specs this union chooses among. */
        public List<ObjectSpec> specs() {
            List<ObjectSpec> specs = new ArrayList<>(byValue.values());
            if (fallback != null) {
                specs.add(fallback);
            }
            return specs;
        }

        @Override
        public Section read(YamlNode node, String path, Binder b) {
            if (node instanceof YamlNode.Scalar s && s.broken()) {
                return null;
            }
            if (!(node instanceof YamlNode.Mapping mapping)) {
                return b.wrongType(node, path, "a mapping (" + what + ")");
            }
            if (discriminator == null) {
                String key = (String) byValue.keySet().iterator().next();
                boolean present = mapping.entries().stream().anyMatch(e -> e.key().equals(key));
                return (present ? byValue.get(key) : fallback).read(node, path, b);
            }
            YamlNode.Entry entry = mapping.entries().stream()
                    .filter(e -> e.key().equals(discriminator.key())).findFirst().orElse(null);
            if (entry == null) {
                b.error(ProblemType.MISSING_KEY, node, path, "missing required key `" + discriminator.key() + "`: "
                        + ObjectSpec.firstSentence(discriminator.doc()));
                return null;
            }
            Object kind = discriminator.type().read(entry.value(), ObjectSpec.join(path, entry.key()), b);
            if (kind == null) {
                return null;
            }
            ObjectSpec spec = byValue.get(kind);
            return spec.read(node, path, b, key -> elsewhere(key, spec));
        }

        private java.util.Optional<String> elsewhere(String key, ObjectSpec current) {
            List<String> owners = new ArrayList<>();
            byValue.forEach((value, spec) -> {
                if (spec != current && spec.field(key).isPresent()) {
                    owners.add(String.valueOf(value).toLowerCase(java.util.Locale.ROOT));
                }
            });
            return owners.isEmpty() ? java.util.Optional.empty()
                    : java.util.Optional.of(discriminator.key() + " " + String.join(", ", owners));
        }

        @Override
        public ObjectNode schema(SchemaWriter w) {
            ObjectNode schema = w.object();
            var oneOf = schema.putArray("oneOf");
            specs().forEach(spec -> oneOf.add(w.ref(spec)));
            return schema;
        }

        @Override
        public String describe() {
            return String.join(" or ", specs().stream().map(ObjectSpec::title).toList());
        }

        @Override
        public String describeMarkdown() {
            return String.join(" or ", specs().stream().map(ObjectSpec::describeMarkdown).toList());
        }

        @Override
        public List<ObjectSpec> nested() {
            return specs();
        }

        /** Returns the documentation of the union. */
        public String doc() {
            return Objects.requireNonNullElse(doc, "");
        }
    }
}
