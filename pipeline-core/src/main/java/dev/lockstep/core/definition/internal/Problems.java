package dev.lockstep.core.definition.internal;

import dev.lockstep.core.definition.Location;
import dev.lockstep.core.definition.Problem;
import dev.lockstep.core.definition.ProblemType;
import java.util.ArrayList;
import java.util.List;

/** Collects the problems found in one file; keeps at most {@link #LIMIT}, then one that counts the rest. */
public final class Problems {

    /** The most problems reported for one file. */
    public static final int LIMIT = 500;

    private final String file;
    private final List<Problem> problems = new ArrayList<>();
    private int dropped;

    public Problems(String file) {
        this.file = file;
    }

    /** Reports an error. */
    public void error(ProblemType type, Location location, String path, String message) {
        add(Problem.error(type, location, path, message));
    }

    /** Reports a warning. */
    public void warning(ProblemType type, Location location, String path, String message) {
        add(Problem.warning(type, location, path, message));
    }

    /** Reports a problem. */
    public void add(Problem problem) {
        if (problems.size() < LIMIT) {
            problems.add(problem);
        } else {
            dropped++;
        }
    }

    /** Returns true if an error was reported at this path or under it ({@code path.…}, {@code path[…]}). */
    public boolean hasErrorsUnder(String path) {
        return problems.stream().anyMatch(p -> p.isError() && (p.path().equals(path)
                || p.path().startsWith(path + ".") || p.path().startsWith(path + "[")));
    }

    /** Returns true if an error was reported at exactly this path, or an unknown key directly under it. */
    public boolean hasErrorsAt(String path) {
        return problems.stream().anyMatch(p -> p.isError() && (p.path().equals(path)
                || p.type() == dev.lockstep.core.definition.ProblemType.UNKNOWN_KEY
                        && p.path().startsWith(path + ".") && p.path().indexOf('.', path.length() + 1) < 0));
    }

    /** Returns true if any error (not warning) was reported. */
    public boolean hasErrors() {
        return dropped > 0 || problems.stream().anyMatch(Problem::isError);
    }

    /** Returns the problems sorted by position, with a last one saying how many were left out. */
    public List<Problem> sorted() {
        List<Problem> sorted = new ArrayList<>(problems);
        sorted.sort(null);
        if (dropped > 0) {
            Location end = sorted.isEmpty() ? Location.startOf(file) : sorted.get(sorted.size() - 1).location();
            sorted.add(Problem.error(ProblemType.YAML_SYNTAX, end, "",
                    dropped + " more problems not shown; fix the ones above first"));
        }
        return sorted;
    }
}
