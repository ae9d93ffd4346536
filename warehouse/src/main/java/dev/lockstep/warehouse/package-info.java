/**
 * The warehouse side of a pipeline: the raw layer's DDL and merge ({@code raw}), the star schema's model, DDL and
 * per-batch SQL ({@code star}), the applier that loads a batch of source transactions in one warehouse transaction
 * ({@code apply}), and the outboxes that relay alerts and quarantined rows ({@code alert}, {@code quarantine}).
 */
package dev.lockstep.warehouse;
