package dev.lockstep.core.definition.internal;

import dev.lockstep.core.definition.Location;
import dev.lockstep.core.definition.ProblemType;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The state of one binding pass: where problems go, the source text, and the index of located values by path. */
public final class Binder {

    private final SourceText source;
    private final Problems problems;
    private final Path baseDirectory;
    private final Map<String, Located<?>> index = new HashMap<>();

    public Binder(SourceText source, Problems problems, Path baseDirectory) {
        this.source = source;
        this.problems = problems;
        this.baseDirectory = baseDirectory;
    }

    public SourceText source() {
        return source;
    }

    public Problems problems() {
        return problems;
    }

    /** Returns the directory relative file references are resolved against. */
    public Path baseDirectory() {
        return baseDirectory;
    }

    /** Reports an error at a node. */
    public void error(ProblemType type, YamlNode node, String path, String message) {
        problems.error(type, node.location(), path, message);
    }

    /** Reports an error at a position. */
    public void error(ProblemType type, Location location, String path, String message) {
        problems.error(type, location, path, message);
    }

    /** Remembers where a value was written, for later checks and for {@code --connect} messages. */
    public void remember(Located<?> located) {
        index.putIfAbsent(located.path(), located);
    }

    /** Returns the index of located values by path. */
    public Map<String, Located<?>> index() {
        return index;
    }

    /** Reports "expected …; found …" and returns null. */
    public <T> T wrongType(YamlNode node, String path, String expected) {
        if (node instanceof YamlNode.Scalar s && s.broken()) {
            return null;
        }
        if (node instanceof YamlNode.Scalar s && s.isNull()) {
            error(ProblemType.WRONG_TYPE, node, path, "has no value; expected " + expected);
        } else {
            error(ProblemType.WRONG_TYPE, node, path, "expected " + expected + "; found " + node.describe());
        }
        return null;
    }

    /** Returns the node as a scalar with a value, or reports a type problem and returns null. */
    public YamlNode.Scalar scalar(YamlNode node, String path, String expected) {
        if (node instanceof YamlNode.Scalar s && s.broken()) {
            return null;
        }
        if (node instanceof YamlNode.Scalar s && !s.isNull() && s.kind() != YamlNode.ScalarKind.OTHER) {
            return s;
        }
        return wrongType(node, path, expected);
    }
}
