/**
 * The deployment plan's first half: {@link dev.lockstep.migrations.plan.DefinitionDiff} turns the deployed and the
 * next version of a definition into typed {@link dev.lockstep.migrations.plan.Operation}s, each with its
 * {@link dev.lockstep.migrations.plan.Impact}. Pure logic: no database, no file.
 */
package dev.lockstep.migrations.plan;
