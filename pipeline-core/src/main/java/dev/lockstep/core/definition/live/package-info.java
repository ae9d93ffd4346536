/**
 * Checks of a definition against live databases ({@code lockstep validate --connect}): the small interfaces the
 * database modules implement ({@link dev.lockstep.core.definition.live.SourceCatalog} in connectors,
 * {@link dev.lockstep.core.definition.live.ExpressionTypeChecker} in warehouse), and
 * {@link dev.lockstep.core.definition.live.ConnectedValidator}, which holds the logic and knows no driver.
 */
package dev.lockstep.core.definition.live;
