package dev.lockstep.embedded;

import java.nio.file.Path;

/** Where embedded services keep their files unless told otherwise. */
public final class EmbeddedDirectories {

    /** System property naming the base directory; the environment variable of the same meaning is below. */
    public static final String BASE_PROPERTY = "lockstep.embedded.dir";
    public static final String BASE_ENVIRONMENT = "LOCKSTEP_EMBEDDED_DIR";

    private EmbeddedDirectories() {}

    /**
     * Returns the base directory: {@value #BASE_PROPERTY}, else {@value #BASE_ENVIRONMENT}, else
     * {@code <java.io.tmpdir>/lockstep-embedded}.
     */
    public static Path defaultBase() {
        String configured = System.getProperty(BASE_PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(BASE_ENVIRONMENT);
        }
        if (configured == null || configured.isBlank()) {
            return Path.of(System.getProperty("java.io.tmpdir"), "lockstep-embedded").toAbsolutePath();
        }
        return Path.of(configured).toAbsolutePath();
    }
}
