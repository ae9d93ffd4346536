package dev.lockstep.core.definition.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.lockstep.core.definition.Location;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.internal.YamlNode.Entry;
import dev.lockstep.core.definition.internal.YamlNode.Mapping;
import dev.lockstep.core.definition.internal.YamlNode.Scalar;
import dev.lockstep.core.definition.internal.YamlNode.ScalarKind;
import dev.lockstep.core.definition.internal.YamlNode.Sequence;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a definition's YAML into {@link YamlNode}s with positions, guarded against hostile input: nesting depth,
 * alias expansion (billion laughs), string and document size are all bounded and reported as problems.
 */
public final class YamlReader {

    /** The deepest nesting accepted; a definition needs about six levels. */
    public static final int MAX_DEPTH = 64;
    /** The most nodes a document may stand for, counting each use of an alias. */
    public static final int MAX_NODES = 100_000;
    /** The largest definition accepted, in characters. */
    public static final int MAX_CHARS = 4 * 1024 * 1024;

    private static final String MERGE_KEY = "<<";

    private final SourceText source;
    private final Interpolator interpolator;
    private final Problems problems;
    private final Map<String, YamlNode> anchors = new HashMap<>();
    private int nodes;

    public YamlReader(SourceText source, Interpolator interpolator, Problems problems) {
        this.source = source;
        this.interpolator = interpolator;
        this.problems = problems;
    }

    /** Signals that reading stopped; the problem is already reported. */
    private static final class Stop extends Exception {
        private static final long serialVersionUID = 1L;

        Stop() {
            super(null, null, false, false);
        }
    }

    /** Returns the document's root, or empty when it is empty or unreadable (problems reported). */
    public Optional<YamlNode> read() {
        try (JsonParser parser = factory().createParser(source.text())) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                problems.error(ProblemType.EMPTY_FILE, Location.startOf(source.file()), "",
                        "the file holds no definition; it needs at least `pipeline`, `source` and `warehouse`");
                return Optional.empty();
            }
            YamlNode root = readValue((YAMLParser) parser, first, 1, "");
            JsonToken next = parser.nextToken();
            if (next != null) {
                problems.error(ProblemType.MULTIPLE_DOCUMENTS, location(parser), "",
                        "a definition file holds one YAML document; another starts here (use one file per pipeline)");
                return Optional.empty();
            }
            return Optional.of(root);
        } catch (Stop stop) {
            return Optional.empty();
        } catch (StreamConstraintsException e) {
            problems.error(ProblemType.TOO_DEEP, errorLocation(e), "", constraintMessage(e));
            return Optional.empty();
        } catch (JsonProcessingException e) {
            problems.error(ProblemType.YAML_SYNTAX, errorLocation(e), "", syntaxMessage(e));
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            problems.error(ProblemType.YAML_SYNTAX, errorLocation(e), "",
                    "the YAML cannot be read: " + firstLine(e.getMessage()));
            return Optional.empty();
        }
    }

    private static YAMLFactory factory() {
        LoaderOptions loader = new LoaderOptions();
        loader.setCodePointLimit(MAX_CHARS + 1);
        loader.setNestingDepthLimit(MAX_DEPTH);
        return YAMLFactory.builder()
                .loaderOptions(loader)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_DEPTH + 16)
                        .maxStringLength(MAX_CHARS)
                        .maxNameLength(64 * 1024)
                        .maxNumberLength(100)
                        .build())
                .build();
    }

    private YamlNode readValue(YAMLParser parser, JsonToken token, int depth, String path)
            throws IOException, Stop {
        if (token == null) {
            throw new IOException("unexpected end of the document");
        }
        if (depth > MAX_DEPTH) {
            problems.error(ProblemType.TOO_DEEP, location(parser), "",
                    "the YAML is nested more than " + MAX_DEPTH + " levels deep");
            throw new Stop();
        }
        String anchor = parser.getObjectId();
        boolean alias = token == JsonToken.VALUE_STRING && parser.isCurrentAlias();
        if (!alias) {
            count(1, parser);
        }
        YamlNode node;
        switch (token) {
            case START_OBJECT -> node = readMapping(parser, depth, path);
            case START_ARRAY -> node = readSequence(parser, depth, path);
            case VALUE_STRING -> node = alias ? alias(parser) : string(parser, path);
            case VALUE_NUMBER_INT -> node = scalar(parser, ScalarKind.INTEGER);
            case VALUE_NUMBER_FLOAT -> node = scalar(parser, ScalarKind.DECIMAL);
            case VALUE_TRUE, VALUE_FALSE -> node = scalar(parser, ScalarKind.BOOLEAN);
            case VALUE_NULL -> node = scalar(parser, ScalarKind.NULL);
            default -> node = scalar(parser, ScalarKind.OTHER);
        }
        if (anchor != null && !alias) {
            anchors.put(anchor, node);
        }
        return node;
    }

    private Mapping readMapping(YAMLParser parser, int depth, String path) throws IOException, Stop {
        Location location = location(parser);
        int offset = offset(parser);
        List<Entry> entries = new ArrayList<>();
        List<YamlNode> merged = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        int size = 1;
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_OBJECT; t = parser.nextToken()) {
            if (t == null) {
                throw new IOException("unexpected end of the document");
            }
            String key = parser.currentName();
            Location keyLocation = location(parser);
            int keyOffset = offset(parser);
            YamlNode value = readValue(parser, parser.nextToken(), depth + 1, ObjectSpec.join(path, key));
            size += value.size();
            if (MERGE_KEY.equals(key)) {
                merged.add(value);
            } else if (!keys.add(key)) {
                problems.error(ProblemType.DUPLICATE_KEY, keyLocation, ObjectSpec.join(path, key),
                        "key `" + key + "` appears twice in this mapping; YAML keeps only one, so remove the other");
            } else {
                entries.add(new Entry(key, keyLocation, keyOffset, value));
            }
        }
        for (YamlNode source : merged) {
            merge(source, entries, keys);
        }
        return new Mapping(List.copyOf(entries), location, offset, size);
    }

    private void merge(YamlNode source, List<Entry> entries, Set<String> keys) {
        if (source instanceof Mapping mapping) {
            for (Entry entry : mapping.entries()) {
                if (keys.add(entry.key())) {
                    entries.add(entry);
                }
            }
        } else if (source instanceof Sequence sequence) {
            sequence.items().forEach(item -> merge(item, entries, keys));
        } else if (!(source instanceof Scalar s && s.broken())) {
            problems.error(ProblemType.WRONG_TYPE, source.location(), "",
                    "a merge key `<<` takes a mapping or a list of mappings, not " + source.describe());
        }
    }

    private Sequence readSequence(YAMLParser parser, int depth, String path) throws IOException, Stop {
        Location location = location(parser);
        int offset = offset(parser);
        List<YamlNode> items = new ArrayList<>();
        int size = 1;
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
            if (t == null) {
                throw new IOException("unexpected end of the document");
            }
            YamlNode item = readValue(parser, t, depth + 1, path + "[" + items.size() + "]");
            size += item.size();
            items.add(item);
        }
        return new Sequence(List.copyOf(items), location, offset, size);
    }

    private YamlNode alias(YAMLParser parser) throws IOException, Stop {
        String name = parser.getText();
        YamlNode target = anchors.get(name);
        if (target == null) {
            problems.error(ProblemType.UNKNOWN_ALIAS, location(parser), "",
                    "alias *" + name + " names no anchor; define &" + name + " before using it");
            return new Scalar(ScalarKind.NULL, "", "*" + name, false, true, location(parser), offset(parser));
        }
        count(target.size(), parser);
        return target;
    }

    private Scalar string(YAMLParser parser, String path) throws IOException {
        String raw = parser.getText();
        Location location = location(parser);
        int offset = offset(parser);
        Interpolator.Result result = interpolator.interpolate(raw);
        for (Interpolator.Issue issue : result.issues()) {
            problems.error(issue.missingVariable() ? ProblemType.MISSING_VARIABLE : ProblemType.INVALID_INTERPOLATION,
                    source.locationInScalar(offset, raw, issue.index()), path, issue.message());
        }
        return new Scalar(ScalarKind.STRING, result.value(), raw, result.interpolated(), !result.issues().isEmpty(),
                location, offset);
    }

    private Scalar scalar(YAMLParser parser, ScalarKind kind) throws IOException {
        String text = kind == ScalarKind.NULL ? "" : String.valueOf(parser.getText());
        return new Scalar(kind, text, text, false, false, location(parser), offset(parser));
    }

    private void count(int added, YAMLParser parser) throws Stop {
        nodes += added;
        if (nodes > MAX_NODES) {
            problems.error(ProblemType.ALIAS_LIMIT, location(parser), "",
                    "the document stands for more than " + MAX_NODES + " nodes (aliases count each time they "
                            + "are used); a definition is far smaller, so this looks like an alias bomb");
            throw new Stop();
        }
    }

    private Location location(JsonParser parser) {
        JsonLocation l = parser.currentTokenLocation();
        return locationOf(l);
    }

    private int offset(JsonParser parser) {
        JsonLocation l = parser.currentTokenLocation();
        return source.offsetOf(Math.max(1, l.getLineNr()), Math.max(1, l.getColumnNr()));
    }

    private Location locationOf(JsonLocation l) {
        if (l == null || l.getLineNr() < 1) {
            return Location.startOf(source.file());
        }
        return source.locationOf(source.offsetOf(l.getLineNr(), Math.max(1, l.getColumnNr())));
    }

    private Location errorLocation(Exception e) {
        MarkedYAMLException marked = marked(e);
        if (marked != null && marked.getProblemMark() != null) {
            Mark mark = marked.getProblemMark();
            return source.locationOf(source.offsetOf(mark.getLine() + 1, mark.getColumn() + 1));
        }
        if (e instanceof JsonProcessingException j) {
            return locationOf(j.getLocation());
        }
        return Location.startOf(source.file());
    }

    private static MarkedYAMLException marked(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException m) {
                return m;
            }
        }
        return null;
    }

    private static String syntaxMessage(JsonProcessingException e) {
        MarkedYAMLException marked = marked(e);
        if (marked != null) {
            String problem = firstLine(marked.getProblem());
            String context = marked.getContext() == null ? "" : firstLine(marked.getContext()) + ": ";
            return "invalid YAML: " + context + problem;
        }
        String message = e.getOriginalMessage();
        if (message != null && message.contains("exceeds the limit")) {
            return "the file is larger than " + MAX_CHARS + " characters; a definition is far smaller";
        }
        return "invalid YAML: " + firstLine(message);
    }

    private static String constraintMessage(StreamConstraintsException e) {
        String message = String.valueOf(e.getOriginalMessage());
        if (message.contains("nesting depth")) {
            return "the YAML is nested more than " + MAX_DEPTH + " levels deep";
        }
        return "the YAML exceeds a size limit: " + firstLine(message);
    }

    private static String firstLine(String message) {
        if (message == null || message.isBlank()) {
            return "unknown error";
        }
        String line = message.strip().lines().findFirst().orElse("unknown error");
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }
}
