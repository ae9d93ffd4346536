package dev.lockstep.warehouse.star;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The temporary tables a loader's targets work in, by target, and those written since the applier last emptied them.
 * Not thread-safe: it belongs to the loader.
 */
final class WorkTables {

    private final Set<String> all = new LinkedHashSet<>();
    private final Map<TargetSql, List<String>> byTarget = new HashMap<>();
    private final Set<String> filled = new LinkedHashSet<>();

    /** Records the temporary tables of {@code target}, created on the loader's session. */
    void add(TargetSql target) {
        List<String> tables = List.copyOf(target.temporaryTables().keySet());
        all.addAll(tables);
        byTarget.put(target, tables);
    }

    /** Forgets the tables of {@code target} (they were dropped, or their creation rolled back). */
    void forget(TargetSql target) {
        Optional.ofNullable(byTarget.remove(target)).ifPresent(all::removeAll);
    }

    /** Records that a batch, replay or backfill wrote {@code target}'s tables. */
    void filled(TargetSql target) {
        filled.addAll(byTarget.get(target));
    }

    /** Returns every table. */
    List<String> all() {
        return List.copyOf(all);
    }

    /** Returns the tables written since the last call, and forgets them. */
    List<String> drainFilled() {
        List<String> tables = List.copyOf(filled);
        filled.clear();
        return tables;
    }
}
