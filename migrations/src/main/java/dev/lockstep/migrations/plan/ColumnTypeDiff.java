package dev.lockstep.migrations.plan;

import static dev.lockstep.migrations.plan.Operation.Kind.CHANGE_TYPE;

import dev.lockstep.warehouse.star.StarSchema;
import dev.lockstep.warehouse.star.StarSchema.Column;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Column type changes between two typed star schemas: the one thing the definitions alone do not show. */
final class ColumnTypeDiff {

    private ColumnTypeDiff() {}

    static List<Operation> between(StarSchema deployed, StarSchema next) {
        List<Operation> out = new ArrayList<>();
        for (StarSchema.DimensionTable after : next.dimensions()) {
            String name = after.definition().name();
            deployed.dimensions().stream().filter(d -> d.definition().name().equals(name)).findFirst()
                    .ifPresent(before -> {
                        compare(name, before.key(), after.key(), Map.of(), out);
                        compare(name, before.attributes(), after.attributes(), after.definition().renamedFrom(),
                                out);
                    });
        }
        for (StarSchema.FactTable after : next.facts()) {
            String name = after.definition().name();
            deployed.facts().stream().filter(f -> f.definition().name().equals(name)).findFirst()
                    .ifPresent(before -> {
                        compare(name, before.grain(), after.grain(), Map.of(), out);
                        compare(name, before.measures(), after.measures(), after.definition().renamedFrom(), out);
                    });
        }
        return out;
    }

    /** Compares the columns of {@code after} that were deployed, under their name or the one they are renamed from. */
    private static void compare(String target, List<Column> before, List<Column> after, Map<String, String> renamedFrom,
            List<Operation> out) {
        for (Column column : after) {
            Optional<Column> deployed = find(before, column.name())
                    .or(() -> Optional.ofNullable(renamedFrom.get(column.name())).flatMap(old -> find(before, old)));
            deployed.filter(d -> !d.type().equals(column.type())).ifPresent(d -> out.add(Operation.change(
                    CHANGE_TYPE, target, column.name(), d.type(), column.type(), Impact.REBUILD)
                    .withNote("derived again for the rows already loaded, into a column of the new type that the switch puts in its place")));
        }
    }

    private static Optional<Column> find(List<Column> columns, String name) {
        return columns.stream().filter(c -> c.name().equals(name)).findFirst();
    }
}
