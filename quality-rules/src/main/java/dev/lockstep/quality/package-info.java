/** Quality rule kinds and the SQL they compile to; never opens a connection. */
package dev.lockstep.quality;
