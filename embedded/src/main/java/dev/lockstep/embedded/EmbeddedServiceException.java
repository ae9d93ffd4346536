package dev.lockstep.embedded;

/** An embedded service could not start or stop; the message says why and what to do. */
public class EmbeddedServiceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public EmbeddedServiceException(String message) {
        super(message);
    }

    public EmbeddedServiceException(String message, Throwable cause) {
        super(message, cause);
    }
}
