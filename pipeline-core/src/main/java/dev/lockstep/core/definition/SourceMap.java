package dev.lockstep.core.definition;

import dev.lockstep.core.definition.internal.Located;
import dev.lockstep.core.definition.internal.SourceText;
import dev.lockstep.core.definition.internal.YamlNode;
import java.util.Map;

/** Where each field of a definition was written, to report later checks (with {@code --connect}) at its position. */
public final class SourceMap {

    private final SourceText source;
    private final Map<String, Located<?>> index;

    SourceMap(SourceText source, Map<String, Located<?>> index) {
        this.source = source;
        this.index = Map.copyOf(index);
    }

    /** Returns the file name as given. */
    public String file() {
        return source.file();
    }

    /** Returns where the field at {@code path} (e.g. {@code facts.order_line.measures.amount}) was written, or the
     * nearest enclosing field's position; the start of the file when nothing matches. */
    public Location locate(String path) {
        for (String p = path; !p.isEmpty(); p = parent(p)) {
            Located<?> located = index.get(p);
            if (located != null) {
                return located.location();
            }
        }
        return Location.startOf(source.file());
    }

    /** Returns the position of character {@code offset} of the scalar value at {@code path} (an expression). */
    public Location locate(String path, int offset) {
        Located<?> located = index.get(path);
        if (located != null && located.node() instanceof YamlNode.Scalar s && !s.interpolated()) {
            return source.locationInScalar(s.offset(), s.raw(), offset);
        }
        if (located != null) {
            return located.node().location();
        }
        return locate(path);
    }

    /** Returns true if a value was written at exactly this path. */
    public boolean has(String path) {
        return index.containsKey(path);
    }

    private static String parent(String path) {
        int bracket = path.lastIndexOf('[');
        int dot = path.lastIndexOf('.');
        int cut = Math.max(bracket, dot);
        return cut < 0 ? "" : path.substring(0, cut);
    }
}
