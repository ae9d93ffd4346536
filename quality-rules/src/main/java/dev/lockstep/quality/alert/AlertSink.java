package dev.lockstep.quality.alert;

import java.util.List;

/**
 * Where alerts go. {@link #publish} returns once every alert is delivered or the sink has given up on it by its own
 * policy; a sink that throws has not delivered them all and the caller (the outbox relay) sends them again later, so
 * consumers see each alert at least once and de-duplicate by {@link Alert#id()}. Not required to be thread-safe.
 */
public interface AlertSink extends AutoCloseable {

    /** Delivers {@code alerts} in order; alerts of one rule are never reordered. */
    void publish(List<Alert> alerts);

    /** Releases the sink's resources; idempotent; never throws. */
    @Override
    void close();
}
