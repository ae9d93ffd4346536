package dev.lockstep.embedded.testing;

import java.util.Locale;

/** Where the services of a test run come from. */
public enum ServicesMode {
    /** In-process Kafka and zonky PostgreSQL: the default, needs nothing installed. */
    EMBEDDED,
    /** Docker containers through Testcontainers; tests are skipped where Docker is absent. */
    TESTCONTAINERS,
    /** Deployments named by {@code LOCKSTEP_PG_URL} and {@code LOCKSTEP_KAFKA_BOOTSTRAP}. */
    EXTERNAL;

    /** The system property that selects the mode. */
    public static final String PROPERTY = "lockstep.services";

    /** Returns the mode selected for this JVM. */
    public static ServicesMode current() {
        String value = System.getProperty(PROPERTY, "embedded").trim().toUpperCase(Locale.ROOT);
        try {
            return valueOf(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value.toLowerCase(Locale.ROOT)
                    + " is not allowed; use embedded, testcontainers or external", e);
        }
    }
}
