/**
 * The extract: Debezium Embedded reading a PostgreSQL source's changes ({@link
 * dev.lockstep.connectors.PostgresCdcSource}), written in commit order and whole source transactions to the
 * pipeline's changes topic, the source offset in the same Kafka transaction; and the source catalog that {@code
 * lockstep validate --connect} checks a definition against ({@link dev.lockstep.connectors.PostgresSourceCatalog}).
 */
package dev.lockstep.connectors;
