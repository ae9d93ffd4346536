package dev.lockstep.core.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Thousands of random mutations of the valid definitions (deleted keys and lines, wrong types, random bytes, deep
 * nesting, very large files): the parser only ever reports problems, never throws. Reproduce a failure with
 * {@code -Dlockstep.fuzz.seed=<seed>}.
 */
class DefinitionFuzzTest {

    private static final int ITERATIONS = Integer.getInteger("lockstep.fuzz.iterations", 3000);
    private static final long SEED = Long.getLong("lockstep.fuzz.seed", System.nanoTime());
    private static final Map<String, String> ENV = Map.of("LOGISTICS_DB_PASSWORD", "pw",
            "LOGISTICS_WEBHOOK", "https://hooks.example.com/x");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final String[] GARBAGE = {
        "", "~", "null", "-1", "0", "1e309", "99999999999999999999999", "true", "[]", "{}", "*nope", "&a x",
        "${UNSET}", "${", "$${x}", "!!binary AAAA", "'", "\"", "|", ">", "---", "...", "\t", "? x", "- - -",
        "[[[[[[[[", "}}}}", "(((((((", "sum(x)", "a; drop table t", "\u0000", "\uFEFF", "\u2028", "é😀",
        "SELECT", "order", "x".repeat(5000), "[" + "{a: [".repeat(40) + "]}".repeat(40) + "]",
    };

    private static final String INDICATORS = ":-[]{}&*!|>'\"%@`#,?\\$()";

    private final DefinitionParser parser = DefinitionParser.create().withEnvironment(ENV::get);

    @Test
    void shouldOnlyEverReportProblemsForMutatedDefinitions() {
        Random random = new Random(SEED);
        List<String> seeds = Fixtures.files("valid").map(Fixtures::read).toList();
        seeds = new ArrayList<>(seeds);
        seeds.add(Fixtures.read(Fixtures.repository("examples/shop/pipeline.yaml")));
        List<BiFunction<String, Random, String>> mutations = List.of(
                DefinitionFuzzTest::deleteLine, DefinitionFuzzTest::deleteRange, DefinitionFuzzTest::insertBytes,
                DefinitionFuzzTest::duplicateLine, DefinitionFuzzTest::swapLines, DefinitionFuzzTest::replaceWord,
                DefinitionFuzzTest::reindent, DefinitionFuzzTest::truncate, DefinitionFuzzTest::deleteKey,
                DefinitionFuzzTest::wrongType, DefinitionFuzzTest::deepNesting, DefinitionFuzzTest::enlarge);
        for (int i = 0; i < ITERATIONS; i++) {
            String text = seeds.get(random.nextInt(seeds.size()));
            int rounds = 1 + random.nextInt(3);
            for (int r = 0; r < rounds; r++) {
                text = mutations.get(random.nextInt(mutations.size())).apply(text, random);
            }
            if (i % 1000 == 999) {
                text = text + "\n# " + "x".repeat(DefinitionParser.MAX_FILE_BYTES);
            }
            check(text, i);
        }
    }

    @Test
    void shouldHandleALargeButAllowedFile() {
        String shop = Fixtures.read(Fixtures.repository("examples/shop/pipeline.yaml"));
        StringBuilder text = new StringBuilder(shop);
        while (text.length() < DefinitionParser.MAX_FILE_BYTES - 200_000) {
            text.append("# ").append("padding ".repeat(20)).append('\n');
        }

        assertThat(parser.parse("large.yaml", text.toString()).problems()).isEmpty();
    }

    private void check(String text, int iteration) {
        ParsedDefinition parsed;
        try {
            parsed = parser.parse("fuzz.yaml", text);
        } catch (RuntimeException | StackOverflowError e) {
            throw new AssertionError(failure(iteration, text) + " threw " + e, e);
        }
        for (Problem problem : parsed.problems()) {
            if (problem.message().isBlank() || problem.location().line() < 1 || problem.location().column() < 1) {
                fail(failure(iteration, text) + " reported a malformed problem: " + problem);
            }
        }
        if (parsed.isValid() != parsed.definition().isPresent()) {
            fail(failure(iteration, text) + " is valid without a definition, or the reverse");
        }
        parsed.definition().ifPresent(PipelineDefinition::toString);
    }

    private static String failure(int iteration, String text) {
        String shown = text.length() > 3000 ? text.substring(0, 3000) + "…" : text;
        return "seed " + SEED + ", iteration " + iteration + ", input:\n" + shown + "\n";
    }

    // ---- text mutations

    private static List<String> lines(String text) {
        return new ArrayList<>(List.of(text.split("\n", -1)));
    }

    private static String deleteLine(String text, Random random) {
        List<String> lines = lines(text);
        lines.remove(random.nextInt(lines.size()));
        return String.join("\n", lines);
    }

    private static String deleteRange(String text, Random random) {
        if (text.isEmpty()) {
            return text;
        }
        int start = random.nextInt(text.length());
        int end = Math.min(text.length(), start + 1 + random.nextInt(40));
        return text.substring(0, start) + text.substring(end);
    }

    private static String insertBytes(String text, Random random) {
        int at = text.isEmpty() ? 0 : random.nextInt(text.length());
        StringBuilder bytes = new StringBuilder();
        for (int i = random.nextInt(8) + 1; i > 0; i--) {
            bytes.append(random.nextBoolean() ? (char) random.nextInt(128)
                    : INDICATORS.charAt(random.nextInt(INDICATORS.length())));
        }
        return text.substring(0, at) + bytes + text.substring(at);
    }

    private static String duplicateLine(String text, Random random) {
        List<String> lines = lines(text);
        int i = random.nextInt(lines.size());
        lines.add(i, lines.get(i));
        return String.join("\n", lines);
    }

    private static String swapLines(String text, Random random) {
        List<String> lines = lines(text);
        int a = random.nextInt(lines.size());
        int b = random.nextInt(lines.size());
        String line = lines.get(a);
        lines.set(a, lines.get(b));
        lines.set(b, line);
        return String.join("\n", lines);
    }

    private static String replaceWord(String text, Random random) {
        List<int[]> words = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[A-Za-z0-9_.%]+").matcher(text);
        while (m.find()) {
            words.add(new int[] {m.start(), m.end()});
        }
        if (words.isEmpty()) {
            return text;
        }
        int[] word = words.get(random.nextInt(words.size()));
        return text.substring(0, word[0]) + GARBAGE[random.nextInt(GARBAGE.length)] + text.substring(word[1]);
    }

    private static String reindent(String text, Random random) {
        List<String> lines = lines(text);
        int i = random.nextInt(lines.size());
        int shift = random.nextInt(9) - 4;
        String line = lines.get(i);
        lines.set(i, shift > 0 ? " ".repeat(shift) + line : line.substring(Math.min(-shift, leading(line))));
        return String.join("\n", lines);
    }

    private static int leading(String line) {
        int n = 0;
        while (n < line.length() && line.charAt(n) == ' ') {
            n++;
        }
        return n;
    }

    private static String truncate(String text, Random random) {
        return text.isEmpty() ? text : text.substring(0, random.nextInt(text.length()));
    }

    // ---- tree mutations: read the YAML, change a node, write it back

    private static String onTree(String text, Random random, BiFunction<JsonNode, Random, JsonNode> change) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (Exception e) {
            return text;
        }
        if (!(root instanceof ObjectNode)) {
            return text;
        }
        JsonNode changed = change.apply(root, random);
        try {
            return YAML.writeValueAsString(changed);
        } catch (Exception e) {
            return text;
        }
    }

    /** Picks a random container node and one of its keys or indexes. */
    private static void pick(JsonNode root, Random random, java.util.function.BiConsumer<JsonNode, Object> action) {
        List<Object[]> places = new ArrayList<>();
        collect(root, places);
        if (!places.isEmpty()) {
            Object[] place = places.get(random.nextInt(places.size()));
            action.accept((JsonNode) place[0], place[1]);
        }
    }

    private static void collect(JsonNode node, List<Object[]> places) {
        if (node instanceof ObjectNode object) {
            for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                places.add(new Object[] {object, name});
                collect(object.get(name), places);
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                places.add(new Object[] {array, i});
                collect(array.get(i), places);
            }
        }
    }

    private static void set(JsonNode parent, Object key, JsonNode value) {
        if (parent instanceof ObjectNode object) {
            object.set((String) key, value);
        } else {
            ((ArrayNode) parent).set((Integer) key, value);
        }
    }

    private static String deleteKey(String text, Random random) {
        return onTree(text, random, (root, r) -> {
            pick(root, r, (parent, key) -> {
                if (parent instanceof ObjectNode object) {
                    object.remove((String) key);
                } else {
                    ((ArrayNode) parent).remove((Integer) key);
                }
            });
            return root;
        });
    }

    private static String wrongType(String text, Random random) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return onTree(text, random, (root, r) -> {
            pick(root, r, (parent, key) -> {
                JsonNode current = parent instanceof ObjectNode o ? o.get((String) key) : parent.get((Integer) key);
                JsonNode replacement = switch (r.nextInt(8)) {
                    case 0 -> f.numberNode(r.nextInt());
                    case 1 -> f.textNode(GARBAGE[r.nextInt(GARBAGE.length)]);
                    case 2 -> f.arrayNode().add(current);
                    case 3 -> f.objectNode().set("x", current);
                    case 4 -> f.nullNode();
                    case 5 -> f.booleanNode(r.nextBoolean());
                    case 6 -> f.numberNode(r.nextDouble() * 1e6);
                    default -> f.objectNode();
                };
                set(parent, key, replacement);
            });
            return root;
        });
    }

    private static String deepNesting(String text, Random random) {
        return onTree(text, random, (root, r) -> {
            JsonNode nested = JsonNodeFactory.instance.textNode("x");
            for (int i = 0; i < 30 + r.nextInt(60); i++) {
                nested = r.nextBoolean() ? JsonNodeFactory.instance.arrayNode().add(nested)
                        : JsonNodeFactory.instance.objectNode().set("k", nested);
            }
            JsonNode deep = nested;
            pick(root, r, (parent, key) -> set(parent, key, deep));
            return root;
        });
    }

    private static String enlarge(String text, Random random) {
        StringBuilder big = new StringBuilder(text);
        big.append("\nquality:\n");
        for (int i = 0; i < 200; i++) {
            big.append("  - { rule: not_null, target: t").append(i).append(", columns: [c] }\n");
        }
        return big.toString();
    }
}
