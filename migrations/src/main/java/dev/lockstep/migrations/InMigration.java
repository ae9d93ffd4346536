package dev.lockstep.migrations;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Work done on a migration's connection in its transaction, after its script and before its history row: it commits
 * with the migration, or neither does ({@link WarehouseMigrations#migrateTo(int, InMigration)}).
 */
@FunctionalInterface
public interface InMigration {

    void run(Connection connection) throws SQLException;
}
