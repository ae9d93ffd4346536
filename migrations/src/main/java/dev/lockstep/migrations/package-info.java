/**
 * Flyway migrations of each pipeline's warehouse ({@link dev.lockstep.migrations.WarehouseMigrations}): generated
 * scripts stored once in the control schema and applied from there. The control schema's own migrations are
 * {@code dev.lockstep.control.ControlSchema}'s.
 */
package dev.lockstep.migrations;
