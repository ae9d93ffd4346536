package dev.lockstep.embedded.testing;

/**
 * One set of services per test JVM: started lazily on first use, stopped when the JVM exits.
 * Thread-safe.
 */
public final class TestServices {

    private static Services services;
    private static RuntimeException startFailure;

    private TestServices() {}

    /** Returns the JVM's services, starting them on first call; a failed start fails every later call too. */
    public static synchronized Services get() {
        if (startFailure != null) {
            throw new IllegalStateException("test services failed to start earlier", startFailure);
        }
        if (services == null) {
            try {
                services = start(ServicesMode.current());
            } catch (RuntimeException e) {
                startFailure = e;
                throw e;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(TestServices::stop, "test-services-shutdown"));
        }
        return services;
    }

    /** Returns true when the selected services can run on this machine (Docker present, for Testcontainers). */
    public static boolean available() {
        return ServicesMode.current() != ServicesMode.TESTCONTAINERS || ContainerServices.dockerAvailable();
    }

    private static Services start(ServicesMode mode) {
        return switch (mode) {
            case EMBEDDED -> EmbeddedServices.start();
            case TESTCONTAINERS -> ContainerServices.start();
            case EXTERNAL -> ExternalServices.fromEnvironment();
        };
    }

    private static synchronized void stop() {
        if (services != null) {
            services.close();
            services = null;
        }
    }
}
