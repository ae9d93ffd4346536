package dev.lockstep.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.nio.file.Path;
import java.util.Iterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Log levels by verbosity, and where log lines go. Quiet by default: Lockstep INFO, the libraries (Kafka, Debezium,
 * zonky, Flyway, Avro) WARN. A long-running command logs to a file of its own; the terminal then shows only
 * Lockstep's own warnings and errors — the libraries' lines would interleave with the command's progress — unless
 * {@code -v} asks for everything there too.
 */
final class Logging {

    private static final String[] NOISY = {
        "org.apache.kafka", "kafka", "io.debezium", "io.zonky", "org.flywaydb", "org.apache.avro"
    };

    /** Loggers of the clients' own retries (Kafka's reconnects and produce retries, Debezium's restarts). */
    private static final String[] RETRYING = {
        "org.apache.kafka.clients.NetworkClient", "org.apache.kafka.clients.producer.internals.Sender",
        "org.apache.kafka.clients.admin.internals", "io.debezium.pipeline.ErrorHandler",
        "io.debezium.connector.common.BaseSourceTask", "io.debezium.util.Threads"
    };

    private static final String FILE = "FILE";
    private static final String FILE_PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n";

    private Logging() {}

    /**
     * 0: Lockstep INFO, libraries WARN; 1: Lockstep DEBUG, libraries INFO; 2 or more: everything DEBUG. With a
     * {@code file} (null: none), every line goes there, and to the terminal only Lockstep's warnings and errors
     * unless {@code verbosity} is 1 or more.
     */
    static void configure(int verbosity, Path file) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Level lockstep = verbosity == 0 ? Level.INFO : Level.DEBUG;
        Level libraries = verbosity == 0 ? Level.WARN : verbosity == 1 ? Level.INFO : Level.DEBUG;
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(libraries);
        context.getLogger("dev.lockstep").setLevel(lockstep);
        for (String name : NOISY) {
            context.getLogger(name).setLevel(libraries);
        }
        // While a system is unreachable the run prints one "paused: …" line; these would repeat it every second on
        // the terminal. A log file keeps them: they say why.
        for (String name : RETRYING) {
            context.getLogger(name).setLevel(verbosity == 0 && file == null ? Level.OFF : null);
        }

        Appender<ILoggingEvent> previous = root.getAppender(FILE);
        if (previous != null) { // an earlier command in this JVM (tests run several)
            root.detachAppender(previous);
            previous.stop();
        }
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof ConsoleAppender<ILoggingEvent> console) { // logback.xml's, or a test's
                console.clearAllFilters();
                if (file != null && verbosity == 0) {
                    console.addFilter(new OwnWarnings());
                }
            }
        }
        if (file != null) {
            root.addAppender(fileAppender(context, file));
        }
    }

    private static Appender<ILoggingEvent> fileAppender(LoggerContext context, Path file) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(FILE_PATTERN);
        encoder.start();
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(context);
        appender.setName(FILE);
        appender.setFile(file.toString()); // its directories are created
        appender.setAppend(true);
        appender.setEncoder(encoder);
        appender.start();
        return appender;
    }

    /** Lets through Lockstep's own warnings and errors only. */
    private static final class OwnWarnings extends Filter<ILoggingEvent> {
        @Override
        public FilterReply decide(ILoggingEvent event) {
            return event.getLevel().isGreaterOrEqual(Level.WARN) && event.getLoggerName().startsWith("dev.lockstep.")
                    ? FilterReply.NEUTRAL : FilterReply.DENY;
        }
    }
}
