/**
 * Pipeline definitions: the immutable model of a {@code pipeline.yaml}, its parser and validator.
 *
 * <p>Start with {@link dev.lockstep.core.definition.DefinitionParser}; the model's root is
 * {@link dev.lockstep.core.definition.PipelineDefinition}. Records validate their invariants in
 * their constructors; user mistakes are reported by the parser as {@link dev.lockstep.core.definition.Problem}s
 * with a file position, never as exceptions.
 */
package dev.lockstep.core.definition;
