package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;

/**
 * A mistake (or, for {@link Level#WARNING}, a doubt) found in a definition, at a position and field path.
 *
 * <p>Messages say what was found and what is allowed; they never contain a secret's value.
 */
public record Problem(Level level, ProblemType type, Location location, String path, String message)
        implements Comparable<Problem> {

    /** Whether the problem makes the definition invalid. */
    public enum Level { ERROR, WARNING }

    private static final Comparator<Problem> ORDER = Comparator.comparing(Problem::location)
            .thenComparing(Problem::path)
            .thenComparing(Problem::message);

    public Problem {
        requireNonNull(level, "level");
        requireNonNull(type, "type");
        requireNonNull(location, "location");
        requireNonNull(path, "path");
        requireNonNull(message, "message");
    }

    /** Returns an error. */
    public static Problem error(ProblemType type, Location location, String path, String message) {
        return new Problem(Level.ERROR, type, location, path, message);
    }

    /** Returns a warning. */
    public static Problem warning(ProblemType type, Location location, String path, String message) {
        return new Problem(Level.WARNING, type, location, path, message);
    }

    /** Returns true for errors, false for warnings. */
    public boolean isError() {
        return level == Level.ERROR;
    }

    /** Returns {@code file:line:column: [warning: ]path: message}, the form every output uses. */
    public String format() {
        return location + ": " + (isError() ? "" : "warning: ") + (path.isEmpty() ? "" : path + ": ") + message;
    }

    @Override
    public int compareTo(Problem other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return format();
    }
}
