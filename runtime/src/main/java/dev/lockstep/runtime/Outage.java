package dev.lockstep.runtime;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ProducerFencedException;

/**
 * A system a running pipeline cannot reach: which one, since when, and the last error it gave. A run pauses the
 * stage that needs it and retries until {@code deadline} has passed since {@code since}.
 */
public record Outage(String system, Instant since, String cause, Duration deadline) {

    public static final String SOURCE = "the source database";
    public static final String WAREHOUSE = "the warehouse";
    public static final String KAFKA = "Kafka";

    /** The first wait before a stage paused on an outage is started again; it doubles up to {@link #MAX_BACKOFF}. */
    static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    public Outage {
        requireNonNull(system, "system");
        requireNonNull(since, "since");
        requireNonNull(cause, "cause");
        requireNonNull(deadline, "deadline");
    }

    /** Returns the moment the run gives up when {@link #system} is still unreachable. */
    public Instant giveUpAt() {
        return since.plus(deadline);
    }

    /** Returns true when the outage has lasted longer than the deadline at {@code now}. */
    public boolean expired(Instant now) {
        return now.isAfter(giveUpAt());
    }

    /** The same outage with the latest error. */
    Outage withCause(String latest) {
        return new Outage(system, since, latest, deadline);
    }

    /** The status line while paused, e.g. {@code paused: the warehouse unreachable since 12:01:03 (…), retrying until 12:06:03}. */
    public String status() {
        return "paused: " + system + " unreachable since " + clock(since) + " (" + cause + "), retrying until "
                + clock(giveUpAt()) + " (--fault-deadline " + deadline + ")";
    }

    /**
     * The error a run stops with once the deadline passed; {@code committed} says what was kept, e.g. {@code the
     * warehouse holds everything up to 0/1A2B#3}.
     */
    LockstepException expiredError(String pipeline, String committed, Throwable last) {
        return new LockstepException(ErrorCode.UNAVAILABLE, "pipeline " + pipeline + ": " + system
                + " has been unreachable since " + clock(since) + ", longer than --fault-deadline " + deadline + " ("
                + cause + "); " + committed + " and the next run resumes there", last);
    }

    /**
     * Returns which system {@code failure} says is unreachable — retrying may help — or empty when it is a mistake or a
     * stop on purpose that retrying cannot fix. {@code database} names the stage's own database: the warehouse for the
     * apply stage, the source for the extract.
     */
    static Optional<String> unreachable(Throwable failure, String database) {
        if (failure instanceof LockstepException lockstep && lockstep.code() != ErrorCode.UNAVAILABLE) {
            return Optional.empty();
        }
        boolean retriable = failure instanceof LockstepException;
        String system = null;
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                String state = sql.getSQLState();
                if (state != null && (state.startsWith("28") || state.startsWith("42") || state.equals("3D000"))) {
                    return Optional.empty(); // credentials, permissions, a missing database: a mistake
                }
                system = system == null ? database : system;
                retriable = true;
            } else if (t instanceof ProducerFencedException || t instanceof AuthenticationException
                    || t instanceof AuthorizationException) {
                return Optional.empty();
            } else if (t instanceof KafkaException || t instanceof org.apache.kafka.common.errors.TimeoutException) {
                system = system == null ? KAFKA : system;
                retriable = true;
            } else if (t instanceof java.net.ConnectException) {
                retriable = true;
            }
        }
        return retriable ? Optional.of(system == null ? database : system) : Optional.empty();
    }

    /** The message of {@code failure}'s deepest cause that has one: what the unreachable system said. */
    /** The wait after {@code backoff} before the next attempt: twice as long, at most {@link #MAX_BACKOFF}. */
    static Duration nextBackoff(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    }

    static String cause(Throwable failure) {
        String message = failure.toString();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                message = t.getMessage();
            }
        }
        return message.length() > 160 ? message.substring(0, 157) + "..." : message;
    }

    private static String clock(Instant instant) {
        return LocalTime.ofInstant(instant, ZoneId.systemDefault()).truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
