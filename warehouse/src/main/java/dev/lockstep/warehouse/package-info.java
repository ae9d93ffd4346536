/** The star-schema warehouse: model, DDL text, the applier and the query service. */
package dev.lockstep.warehouse;
