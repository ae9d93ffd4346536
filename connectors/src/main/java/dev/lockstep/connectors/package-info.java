/** Sources of change events: Debezium PostgreSQL CDC (issue 4 brings the implementation). */
package dev.lockstep.connectors;
