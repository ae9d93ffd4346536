package dev.lockstep.core.definition.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.internal.YamlNode.Scalar;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** One of a fixed set of values, written by name ({@code quarantine}) or number ({@code scd: 2}). */
public final class ChoiceType<E> extends Type<E> {

    private final Map<String, E> choices;
    private final boolean numeric;
    private final Map<String, String> elsewhere;

    private ChoiceType(Map<String, E> choices, boolean numeric, Map<String, String> elsewhere) {
        this.choices = choices;
        this.numeric = numeric;
        this.elsewhere = elsewhere;
    }

    /** Returns a choice among an enum's constants, written in lower case. */
    public static <E extends Enum<E>> ChoiceType<E> of(Class<E> type) {
        return of(List.of(type.getEnumConstants()));
    }

    /** Returns a choice among some constants of an enum, written in lower case. */
    public static <E extends Enum<E>> ChoiceType<E> of(List<E> values) {
        Map<String, E> choices = new LinkedHashMap<>();
        values.forEach(v -> choices.put(v.name().toLowerCase(Locale.ROOT), v));
        return new ChoiceType<>(choices, false, Map.of());
    }

    /** Returns a choice written as numbers. */
    public static <E> ChoiceType<E> numbers(Map<Integer, E> values) {
        Map<String, E> choices = new LinkedHashMap<>();
        new java.util.TreeMap<>(values).forEach((n, v) -> choices.put(String.valueOf(n), v));
        return new ChoiceType<>(choices, true, Map.of());
    }

    /**
     * Returns a copy that explains values valid elsewhere but not here, e.g. {@code deduplicate} → "only for rule
     * unique", reported as {@link ProblemType#ON_FAIL_NOT_ALLOWED}.
     */
    public ChoiceType<E> withElsewhere(Map<String, String> reasons) {
        return new ChoiceType<>(choices, numeric, Map.copyOf(reasons));
    }

    /** Returns the names of the choices in order. */
    public Set<String> names() {
        return choices.keySet();
    }

    @Override
    public E read(YamlNode node, String path, Binder binder) {
        Scalar s = binder.scalar(node, path, "one of " + list());
        if (s == null) {
            return null;
        }
        String text = s.value().strip();
        E value = choices.get(numeric ? text : text.toLowerCase(Locale.ROOT));
        if (value != null && (numeric ? s.kind() != YamlNode.ScalarKind.DECIMAL : true)) {
            return value;
        }
        String reason = elsewhere.get(text.toLowerCase(Locale.ROOT));
        if (reason != null) {
            binder.error(ProblemType.ON_FAIL_NOT_ALLOWED, s, path, s.describe() + " is not available " + reason
                    + "; use " + list());
            return null;
        }
        binder.error(ProblemType.NOT_ALLOWED, s, path, s.describe().replace("\"", "") + " is not allowed; "
                + (numeric ? "" : Suggestions.didYouMean(text, choices.keySet())) + "use " + list());
        return null;
    }

    private String list() {
        List<String> names = new ArrayList<>(choices.keySet());
        if (names.size() == 1) {
            return names.get(0);
        }
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }

    @Override
    public ObjectNode schema(SchemaWriter writer) {
        ObjectNode schema = writer.object();
        ArrayNode values = schema.putArray("enum");
        choices.keySet().forEach(name -> {
            if (numeric) {
                values.add(Integer.parseInt(name));
            } else {
                values.add(name);
            }
        });
        return schema;
    }

    @Override
    public Object toJson(E value) {
        for (Map.Entry<String, E> e : choices.entrySet()) {
            if (e.getValue().equals(value)) {
                return numeric ? (Object) Integer.parseInt(e.getKey()) : e.getKey();
            }
        }
        return String.valueOf(value);
    }

    @Override
    public String describe() {
        return String.join(" | ", choices.keySet().stream().map(n -> "`" + n + "`").toList());
    }
}
