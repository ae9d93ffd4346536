/** Flyway migrations of the control schema and of each pipeline's warehouse, and their coordinator. */
package dev.lockstep.migrations;
