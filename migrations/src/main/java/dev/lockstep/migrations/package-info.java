/**
 * Flyway migrations of Lockstep's control schema ({@link dev.lockstep.migrations.ControlSchema}) and of each
 * pipeline's warehouse ({@link dev.lockstep.migrations.WarehouseMigrations}): generated scripts stored once in the
 * control schema and applied from there.
 */
package dev.lockstep.migrations;
