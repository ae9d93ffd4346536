/**
 * Lockstep's own control schema ({@value dev.lockstep.control.ControlSchema#SCHEMA}): its Flyway migrations
 * ({@link dev.lockstep.control.ControlSchema}) and one typed store per table, which holds every statement on that
 * table. Code elsewhere reads and writes the control schema through these stores only (a test greps for it).
 */
package dev.lockstep.control;
