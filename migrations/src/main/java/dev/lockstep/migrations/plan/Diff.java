package dev.lockstep.migrations.plan;

import static java.util.Objects.requireNonNull;

import dev.lockstep.warehouse.star.StarSchema;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The typed operations between a deployed definition and the next one, ordered by target (the pipeline's own
 * operations first), then kind, then item; empty when nothing the definition defines changed.
 */
public record Diff(List<Operation> operations) {

    static final Comparator<Operation> ORDER = Comparator.comparing(Operation::target)
            .thenComparing(Operation::kind).thenComparing(Operation::item);

    public Diff {
        List<Operation> sorted = new ArrayList<>(operations);
        sorted.sort(ORDER);
        operations = List.copyOf(sorted);
    }

    /** Returns true when there is no operation. */
    public boolean isEmpty() {
        return operations.isEmpty();
    }

    /** Returns the strictest impact of all operations; empty when there is none. */
    public Optional<Impact> impact() {
        return operations.stream().map(Operation::impact).max(Comparator.naturalOrder());
    }

    /** Returns the operations a deployment refuses, each with its manual steps. */
    public List<Operation> refused() {
        return operations.stream().filter(o -> o.impact() == Impact.REFUSED).toList();
    }

    /**
     * Returns this diff with the column type changes the typed star schemas show (natural keys, grains,
     * attributes and measures present in both, renames followed); each is {@link Impact#REBUILD}.
     */
    public Diff withColumnTypes(StarSchema deployed, StarSchema next) {
        List<Operation> all = new ArrayList<>(operations);
        all.addAll(ColumnTypeDiff.between(requireNonNull(deployed, "deployed"), requireNonNull(next, "next")));
        return new Diff(all);
    }

    /**
     * Returns this diff, or a single {@link Operation.Kind#COMMENT_ONLY} operation when it is empty and the two
     * definition texts differ (comments, layout or key order changed, nothing else).
     */
    public Diff withTexts(String deployedText, String nextText) {
        requireNonNull(deployedText, "deployedText");
        requireNonNull(nextText, "nextText");
        if (!isEmpty() || deployedText.equals(nextText)) {
            return this;
        }
        return new Diff(List.of(Operation.of(Operation.Kind.COMMENT_ONLY, "", "", Impact.ADDITIVE)
                .withNote("records the new text as the deployed definition; no warehouse change")));
    }
}
