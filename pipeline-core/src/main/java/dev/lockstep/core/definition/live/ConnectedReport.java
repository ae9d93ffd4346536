package dev.lockstep.core.definition.live;

import dev.lockstep.core.definition.Problem;
import java.util.List;

/** What {@code --connect} found: all problems of the file (offline and connected), sorted, and the derived columns. */
public record ConnectedReport(List<Problem> problems, List<DerivedColumn> columns, String warehouseVersion) {

    public ConnectedReport {
        problems = List.copyOf(problems);
        columns = List.copyOf(columns);
    }

    /** Returns true if no problem is an error. */
    public boolean isValid() {
        return problems.stream().noneMatch(Problem::isError);
    }
}
