package dev.lockstep.warehouse.star;

import dev.lockstep.warehouse.PlannerSwitches;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The statements that write a deployment's shadow columns for the keys a batch touched, by target: while the
 * deployment rebuilds them chunk by chunk, the applier derives the new values of the rows it changes too, in the
 * batch's transaction, so that no row is left with a value older than its change when the switch comes.
 */
final class ShadowWrites {

    private Map<String, List<String>> statements = Map.of();

    /** Replaces the columns written with {@code rebuilds} (none: stops writing) for the loader's {@code targets}. */
    void set(List<ColumnRebuild> rebuilds, List<TargetSql> targets) {
        Map<String, List<String>> next = new HashMap<>();
        for (ColumnRebuild rebuild : rebuilds) {
            TargetSql target = targets.stream().filter(t -> t.target().equals(rebuild.target())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no target " + rebuild.target() + " to rebuild"));
            next.computeIfAbsent(target.target(), t -> new ArrayList<>(List.of(PlannerSwitches.JOINS_BY_PROBE,
                    ColumnRebuild.NO_JIT)))
                    .add(rebuild.forTouched(target.touched));
        }
        // Each touched key probes the table's key index, as the batch's own merge does; then the defaults again.
        next.values().forEach(statements -> statements.add(PlannerSwitches.JOINS_ANY));
        statements = next;
    }

    /** Writes {@code target}'s shadow columns for the keys the batch touched (nothing when none is rebuilt). */
    void send(SessionStatements session, TargetSql target) throws SQLException {
        List<String> sql = statements.getOrDefault(target.target(), List.of());
        if (!sql.isEmpty()) {
            session.send(sql);
        }
    }
}
