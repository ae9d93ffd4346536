package dev.lockstep.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Log levels by verbosity: quiet by default, libraries' INFO noise (Kafka, Debezium, zonky) off. */
final class Logging {

    private static final String[] NOISY = {
        "org.apache.kafka", "kafka", "io.debezium", "io.zonky", "org.flywaydb", "com.zaxxer", "org.apache.avro"
    };

    /** Loggers of the clients' own retries (Kafka's reconnects and produce retries, Debezium's restarts). */
    private static final String[] RETRYING = {
        "org.apache.kafka.clients.NetworkClient", "org.apache.kafka.clients.producer.internals.Sender",
        "org.apache.kafka.clients.admin.internals", "io.debezium.pipeline.ErrorHandler",
        "io.debezium.connector.common.BaseSourceTask", "io.debezium.util.Threads"
    };

    private Logging() {}

    /** 0: Lockstep INFO, libraries WARN; 1: Lockstep DEBUG, libraries INFO; 2 or more: everything DEBUG. */
    static void configure(int verbosity) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Level lockstep = verbosity == 0 ? Level.INFO : Level.DEBUG;
        Level libraries = verbosity == 0 ? Level.WARN : verbosity == 1 ? Level.INFO : Level.DEBUG;
        context.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(libraries);
        context.getLogger("dev.lockstep").setLevel(lockstep);
        for (String name : NOISY) {
            context.getLogger(name).setLevel(libraries);
        }
        if (verbosity == 0) {
            // While a system is unreachable the run prints one "paused: …" line; these would repeat it every second.
            for (String name : RETRYING) {
                context.getLogger(name).setLevel(Level.OFF);
            }
        }
    }
}
