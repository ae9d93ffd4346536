package dev.lockstep.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class OutageTest {

    @Test
    void shouldDoubleTheWaitBetweenAttemptsUpToItsCeiling() {
        assertThat(Outage.nextBackoff(Outage.FIRST_BACKOFF)).isEqualTo(Duration.ofSeconds(1));
        assertThat(Outage.nextBackoff(Duration.ofSeconds(4))).isEqualTo(Outage.MAX_BACKOFF);
        assertThat(Outage.nextBackoff(Outage.MAX_BACKOFF)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void shouldRetryAWarehouseThatDroppedTheConnection() {
        LockstepException failure = new LockstepException(ErrorCode.UNAVAILABLE, "pipeline shop: applying a batch "
                + "failed", new SQLException("FATAL: terminating connection due to administrator command", "57P01"));

        assertThat(Outage.unreachable(failure, Outage.WAREHOUSE)).contains(Outage.WAREHOUSE);
        assertThat(Outage.cause(failure)).isEqualTo("FATAL: terminating connection due to administrator command");
    }

    @Test
    void shouldNameKafkaWhenTheBrokerTimedOut() {
        RuntimeException failure = new LockstepException(ErrorCode.UNAVAILABLE, "cannot read the end of the topic",
                new TimeoutException("Failed to get offsets by times in 5000ms"));

        assertThat(Outage.unreachable(failure, Outage.WAREHOUSE)).contains(Outage.KAFKA);
    }

    @Test
    void shouldNotRetryMistakesOrStopsOnPurpose() {
        assertThat(Outage.unreachable(new LockstepException(ErrorCode.UNAVAILABLE, "login", new SQLException(
                "password authentication failed", "28P01")), Outage.SOURCE)).isEmpty();
        assertThat(Outage.unreachable(new LockstepException(ErrorCode.UNAVAILABLE, "fenced",
                new ProducerFencedException("another extract")), Outage.SOURCE)).isEmpty();
        assertThat(Outage.unreachable(new LockstepException(ErrorCode.PIPELINE_STOPPED, "a fail rule"),
                Outage.WAREHOUSE)).isEmpty();
        assertThat(Outage.unreachable(new IllegalStateException("a bug"), Outage.WAREHOUSE)).isEmpty();
    }

    @Test
    void shouldExpireOnlyAfterTheDeadline() {
        Instant since = Instant.parse("2026-12-03T12:01:03Z");
        Outage outage = new Outage(Outage.WAREHOUSE, since, "refused", Duration.ofMinutes(5));

        assertThat(outage.expired(since.plusSeconds(299))).isFalse();
        assertThat(outage.expired(since.plusSeconds(301))).isTrue();
        assertThat(outage.status()).startsWith("paused: the warehouse unreachable since ")
                .contains("(refused), retrying until ").endsWith("(--fault-deadline PT5M)");
        assertThat(outage.expiredError("shop", "the warehouse holds everything up to 0/1A2B#3", null))
                .hasMessageContaining("pipeline shop: the warehouse has been unreachable since").hasMessageContaining(
                "longer than --fault-deadline PT5M (refused); the warehouse holds everything up to 0/1A2B#3")
                .extracting(e -> ((LockstepException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    }
}
