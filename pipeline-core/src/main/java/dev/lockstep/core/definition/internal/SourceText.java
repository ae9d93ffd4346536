package dev.lockstep.core.definition.internal;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.Location;
import java.util.Arrays;

/** The text of a definition file, with line starts, to turn offsets into positions and back. */
public final class SourceText {

    private final String file;
    private final String text;
    private final int[] lineStarts;

    public SourceText(String file, String text) {
        this.file = requireNonNull(file, "file");
        this.text = requireNonNull(text, "text");
        this.lineStarts = lineStarts(text);
    }

    /** Returns the file name as given by the user. */
    public String file() {
        return file;
    }

    /** Returns the whole text. */
    public String text() {
        return text;
    }

    /** Returns the position of a character offset (clamped to the text). */
    public Location locationOf(int offset) {
        int clamped = Math.max(0, Math.min(offset, text.length()));
        int line = Arrays.binarySearch(lineStarts, clamped);
        if (line < 0) {
            line = -line - 2;
        }
        int column = text.codePointCount(lineStarts[line], clamped) + 1;
        return new Location(file, line + 1, column);
    }

    /** Returns the character offset of a 1-based line and code-point column, as the YAML parser reports them. */
    public int offsetOf(int line, int column) {
        if (line < 1 || line > lineStarts.length) {
            return text.length();
        }
        int start = lineStarts[line - 1];
        int end = line < lineStarts.length ? lineStarts[line] : text.length();
        try {
            return Math.min(text.offsetByCodePoints(start, Math.max(0, column - 1)), end);
        } catch (IndexOutOfBoundsException e) {
            return end;
        }
    }

    /**
     * Returns the position of character {@code index} of a scalar's value, for a scalar written at {@code start}.
     *
     * <p>Plain, quoted (with escapes) and block scalars are followed character by character, skipping what YAML
     * folds away; when the value cannot be followed, the scalar's own start is returned.
     */
    public Location locationInScalar(int start, String value, int index) {
        int offset = offsetInScalar(start, value, index);
        return locationOf(offset < 0 ? start : offset);
    }

    private int offsetInScalar(int start, String value, int index) {
        if (start < 0 || start >= text.length()) {
            return -1;
        }
        int j = start;
        char first = text.charAt(j);
        if (first == '"' || first == '\'') {
            j++;
        } else if (first == '|' || first == '>') {
            j = nextLineStart(j);
        }
        int i = 0;
        int target = Math.min(index, value.length());
        while (i < target && j < text.length()) {
            char source = text.charAt(j);
            char wanted = value.charAt(i);
            if (source == wanted) {
                i++;
                j++;
            } else if (Character.isWhitespace(wanted)) {
                i++;
                if (Character.isWhitespace(source)) {
                    j++;
                }
            } else if (Character.isWhitespace(source) || source == '\\' || source == '\'' || source == '"') {
                j++;
            } else {
                return -1;
            }
        }
        while (j < text.length() && i < value.length() && text.charAt(j) != value.charAt(i)
                && Character.isWhitespace(text.charAt(j))) {
            j++;
        }
        return i == target ? j : -1;
    }

    private int nextLineStart(int offset) {
        int line = Arrays.binarySearch(lineStarts, offset);
        line = line < 0 ? -line - 1 : line + 1;
        return line < lineStarts.length ? lineStarts[line] : text.length();
    }

    /** Line breaks as YAML 1.1 counts them: LF, CR, CRLF, NEL, LS, PS. */
    private static int[] lineStarts(String text) {
        int[] starts = new int[16];
        int count = 1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean lineBreak = c == '\n' || c == '\u0085' || c == '\u2028' || c == '\u2029'
                    || (c == '\r' && (i + 1 >= text.length() || text.charAt(i + 1) != '\n'));
            if (lineBreak) {
                if (count == starts.length) {
                    starts = Arrays.copyOf(starts, count * 2);
                }
                starts[count++] = i + 1;
            }
        }
        return Arrays.copyOf(starts, count);
    }
}
