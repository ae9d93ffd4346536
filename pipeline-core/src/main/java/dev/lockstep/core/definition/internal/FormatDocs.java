package dev.lockstep.core.definition.internal;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.RuleKind;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Generates the JSON Schema and the reference tables of the documentation from {@link DefinitionFormat}. */
public final class FormatDocs {

    /** The schema's {@code $id}. */
    public static final String SCHEMA_ID = "https://lockstep.dev/schemas/pipeline.schema.json";

    private FormatDocs() {}

    /** Returns the JSON Schema of the definition format, pretty-printed, ending with a newline. */
    public static String jsonSchema() {
        ObjectNode schema = new SchemaWriter().document(DefinitionFormat.ROOT, SCHEMA_ID,
                "Lockstep pipeline definition");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        try {
            return new ObjectMapper().writer(printer).writeValueAsString(schema) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the schema cannot be written", e);
        }
    }

    /** Returns every mapping of the format, in the order a reader meets them from the root. */
    public static List<ObjectSpec> specs() {
        Set<ObjectSpec> seen = new LinkedHashSet<>();
        visit(DefinitionFormat.ROOT, seen);
        return List.copyOf(seen);
    }

    private static void visit(ObjectSpec spec, Set<ObjectSpec> seen) {
        if (!seen.add(spec)) {
            return;
        }
        for (Field<?> field : spec.fields()) {
            for (ObjectSpec nested : field.type().nested()) {
                visit(nested, seen);
            }
        }
    }

    /** Returns the Markdown reference: a table per mapping, the rule kinds, the problem codes. */
    public static String referenceMarkdown() {
        StringBuilder md = new StringBuilder();
        for (ObjectSpec spec : specs()) {
            md.append("<a id=\"").append(spec.id().replace('_', '-')).append("\"></a>\n");
            md.append("### ").append(spec.title()).append("\n\n").append(spec.doc()).append("\n\n");
            md.append("| Key | Type | Default | Description | Example |\n|---|---|---|---|---|\n");
            for (Field<?> field : spec.fields()) {
                md.append("| `").append(field.key()).append("` | ").append(cell(field.type().describeMarkdown()))
                        .append(" | ").append(cell(defaultOf(field))).append(" | ").append(cell(field.doc()))
                        .append(" | ").append(field.example() == null ? "" : "`" + cell(field.example()) + "`")
                        .append(" |\n");
            }
            md.append('\n');
        }
        md.append(ruleKinds()).append('\n').append(problemTypes());
        return md.toString();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static String defaultOf(Field field) {
        if (field.required()) {
            return "**required**";
        }
        if (field.defaultNote() != null) {
            return field.defaultNote();
        }
        if (field.defaultValue() == null) {
            return "none";
        }
        return "`" + yaml(field.type().toJson(field.defaultValue())) + "`";
    }

    private static String yaml(Object json) {
        if (json instanceof List<?> list) {
            return list.stream().map(FormatDocs::yaml).collect(Collectors.joining(", ", "[", "]"));
        }
        if (json instanceof Map<?, ?> map) {
            return map.entrySet().stream().map(e -> e.getKey() + ": " + yaml(e.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
        }
        return String.valueOf(json);
    }

    private static String ruleKinds() {
        StringBuilder md = new StringBuilder("<a id=\"rule-kinds\"></a>\n### Rule kinds and their actions\n\n"
                + "| `rule` | Checked | Default `on_fail` | Allowed `on_fail` |\n|---|---|---|---|\n");
        for (RuleKind kind : RuleKind.values()) {
            md.append("| `").append(kind.yamlName()).append("` | ")
                    .append(kind.perRow() ? "each conformed row of a batch" : "aggregate, over time")
                    .append(" | `").append(kind.defaultOnFail().yamlName()).append("` | ")
                    .append(kind.allowedOnFail().stream().map(a -> "`" + a.yamlName() + "`")
                            .collect(Collectors.joining(", ")))
                    .append(" |\n");
        }
        return md.toString();
    }

    private static String problemTypes() {
        List<String> rows = new ArrayList<>();
        for (ProblemType type : ProblemType.values()) {
            rows.add("| `" + type.code() + "` | " + cell(type.description()) + " |");
        }
        return "<a id=\"problems\"></a>\n### Problem codes\n\nEvery problem `lockstep validate` reports has one of "
                + "these codes (the `type` in `--format json`).\n\n| Code | Meaning |\n|---|---|\n"
                + String.join("\n", rows) + "\n";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
