package dev.lockstep.core.definition.live;

import dev.lockstep.core.definition.ColumnRef;
import dev.lockstep.core.definition.Dimension;
import dev.lockstep.core.definition.Fact;
import dev.lockstep.core.definition.Lookup;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Problem;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.SourceDimension;
import dev.lockstep.core.definition.SourceMap;
import dev.lockstep.core.definition.internal.Suggestions;
import dev.lockstep.core.stream.TableId;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Checks a definition against the source catalog: tables exist, are tables, identify their rows; columns exist. */
final class CatalogChecks {

    private final PipelineDefinition definition;
    private final SourceMap map;
    private final Map<TableId, SourceTable> tables;
    private final List<Problem> problems;
    private final String database;

    CatalogChecks(PipelineDefinition definition, SourceMap map, Map<TableId, SourceTable> tables, String database,
            List<Problem> problems) {
        this.definition = definition;
        this.map = map;
        this.tables = tables;
        this.database = database;
        this.problems = problems;
    }

    void run(String walLevel) {
        if (!"logical".equals(walLevel)) {
            error(ProblemType.WAL_LEVEL, "source.postgres", "the source database (" + database + ") runs with "
                    + "wal_level = " + walLevel + "; change data capture needs wal_level = logical (ALTER SYSTEM SET "
                    + "wal_level = logical, then restart PostgreSQL)");
        }
        List<TableId> listed = definition.source().tables();
        for (int i = 0; i < listed.size(); i++) {
            checkTable(listed.get(i), "source.tables[" + i + "]");
        }
        for (Dimension dimension : definition.dimensions().values()) {
            if (dimension instanceof SourceDimension d) {
                String path = "dimensions." + d.name();
                checkColumns(d.from(), d.key(), path + ".key");
                checkLookups(d.from(), d.lookup(), path + ".lookup");
            }
        }
        for (Fact fact : definition.facts().values()) {
            String path = "facts." + fact.name();
            checkColumns(fact.from(), fact.grain(), path + ".grain");
            checkLookups(fact.from(), fact.lookup(), path + ".lookup");
        }
    }

    private void checkTable(TableId id, String path) {
        SourceTable table = tables.get(id);
        if (table == null) {
            error(ProblemType.TABLE_NOT_FOUND, path, "table " + id + " does not exist in the source database ("
                    + database + "), or the user cannot see it");
            return;
        }
        if (!table.table()) {
            error(ProblemType.NOT_A_TABLE, path, id + " is a " + table.relationKind() + ", not a table; change data "
                    + "capture reads tables");
            return;
        }
        if (!table.primaryKey().isEmpty()) {
            return;
        }
        switch (table.replicaIdentity().mode()) {
            case INDEX -> { }
            case FULL -> problems.add(Problem.warning(ProblemType.FULL_ROW_IDENTITY, map.locate(path), path, id
                    + " has no primary key and REPLICA IDENTITY FULL: every change carries the whole old row and "
                    + "rows are told apart by all their columns; a primary key is cheaper"));
            default -> error(ProblemType.NO_ROW_IDENTITY, path, id + " has no primary key and REPLICA IDENTITY "
                    + table.replicaIdentity().mode() + ", so updates and deletes cannot be captured; add a primary "
                    + "key, or ALTER TABLE " + id + " REPLICA IDENTITY USING INDEX <a unique index>");
        }
    }

    private void checkColumns(TableId from, List<String> columns, String path) {
        SourceTable table = tables.get(from);
        if (table == null) {
            return;
        }
        for (int i = 0; i < columns.size(); i++) {
            requireColumn(table, columns.get(i), path + "[" + i + "]");
        }
    }

    private void checkLookups(TableId from, Map<String, Lookup> lookups, String path) {
        for (Lookup lookup : lookups.values()) {
            String at = path + "." + lookup.name();
            ColumnRef on = lookup.on();
            TableId onTable = on.lookup().map(l -> lookups.get(l).from()).orElse(from);
            SourceTable onSource = tables.get(onTable);
            if (onSource != null) {
                requireColumn(onSource, on.column(), at + ".on");
            }
            SourceTable target = tables.get(lookup.from());
            if (target == null) {
                continue;
            }
            if (lookup.key().isPresent()) {
                requireColumn(target, lookup.key().get(), at + ".key");
            } else if (target.primaryKey().size() != 1) {
                error(ProblemType.COLUMN_NOT_FOUND, at, lookup.from() + " has " + (target.primaryKey().isEmpty()
                        ? "no primary key" : "a " + target.primaryKey().size() + "-column primary key")
                        + ", so `on` has nothing to match by default; give the lookup a `key` column");
            }
        }
    }

    private void requireColumn(SourceTable table, String column, String path) {
        if (table.column(column).isEmpty()) {
            Optional<String> close = Suggestions.closest(column, table.columnNames());
            error(ProblemType.COLUMN_NOT_FOUND, path, "column `" + column + "` does not exist in " + table.id() + "; "
                    + close.map(c -> "did you mean `" + c + "`? ").orElse("") + "columns: "
                    + String.join(", ", table.columnNames().stream().limit(15).toList()));
        }
    }

    private void error(ProblemType type, String path, String message) {
        problems.add(Problem.error(type, map.locate(path), path, message));
    }
}
