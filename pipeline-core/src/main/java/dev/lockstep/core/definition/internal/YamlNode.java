package dev.lockstep.core.definition.internal;

import dev.lockstep.core.definition.Location;
import java.util.List;

/** A node of a definition's YAML, with where it was written; aliases are resolved, variables interpolated. */
public sealed interface YamlNode permits YamlNode.Mapping, YamlNode.Sequence, YamlNode.Scalar {

    /** Where the node starts. */
    Location location();

    /** The character offset where the node starts. */
    int offset();

    /** How many nodes this one stands for, counting aliased content each time it is used. */
    int size();

    /** Describes the node for a message: "a mapping", "a list", or the scalar as written. */
    String describe();

    /** One key of a mapping. */
    record Entry(String key, Location keyLocation, int keyOffset, YamlNode value) {}

    /** A mapping, keys in the order written. */
    record Mapping(List<Entry> entries, Location location, int offset, int size) implements YamlNode {
        @Override
        public String describe() {
            return "a mapping";
        }
    }

    /** A list. */
    record Sequence(List<YamlNode> items, Location location, int offset, int size) implements YamlNode {
        @Override
        public String describe() {
            return "a list";
        }
    }

    /** What YAML made of a scalar. */
    enum ScalarKind { STRING, INTEGER, DECIMAL, BOOLEAN, NULL, OTHER }

    /**
     * A scalar: {@code value} after interpolation, {@code raw} as written; messages show {@code raw}, so an
     * interpolated value (possibly a secret) is never repeated back. A {@code broken} scalar already has a problem
     * reported (a missing variable, an unknown alias) and is not checked further.
     */
    record Scalar(ScalarKind kind, String value, String raw, boolean interpolated, boolean broken, Location location,
            int offset) implements YamlNode {
        private static final int SHOWN = 60;

        @Override
        public int size() {
            return 1;
        }

        /** Returns true for an empty value ({@code key:} or {@code ~}). */
        public boolean isNull() {
            return kind == ScalarKind.NULL;
        }

        @Override
        public String describe() {
            if (kind == ScalarKind.NULL) {
                return "nothing";
            }
            String shown = raw.length() > SHOWN ? raw.substring(0, SHOWN) + "…" : raw;
            shown = shown.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
            String quoted = kind == ScalarKind.STRING || kind == ScalarKind.OTHER ? '"' + shown + '"' : shown;
            return interpolated ? quoted + " (resolved value not shown)" : quoted;
        }
    }
}
