package dev.lockstep.migrations.lint;

import java.util.ArrayList;
import java.util.List;

/**
 * A dotted name read from tokens ({@code table}, {@code schema.table} or {@code db.schema.table}), resolved to
 * {@code schema.table} against the default schema, and the index of the token after it.
 */
record QualifiedName(String qualified, int end) {

    /** Reads the name starting at token {@code index}, or returns null when no identifier is there. */
    static QualifiedName read(SqlStatement statement, int index, String defaultSchema) {
        List<String> parts = new ArrayList<>();
        int i = index;
        while (statement.at(i) != null && statement.at(i).isIdentifier()) {
            parts.add(statement.at(i).name());
            i++;
            if (statement.at(i) == null || !statement.at(i).isSymbol(".")) {
                break;
            }
            i++;
        }
        if (parts.isEmpty()) {
            return null;
        }
        String table = parts.get(parts.size() - 1);
        String schema = parts.size() > 1 ? parts.get(parts.size() - 2) : defaultSchema;
        return new QualifiedName(schema + "." + table, i);
    }

    /** Resolves a name written in the context's maps, e.g. {@code shop_dw.dim_customer}, against the default schema. */
    static String resolve(String name, String defaultSchema) {
        return name.contains(".") ? name : defaultSchema + "." + name;
    }
}
