package dev.lockstep.quality.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lockstep.core.definition.Severity;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

class WebhookAlertSinkTest {

    record Received(String contentType, String authorization, byte[] body) {}

    HttpServer server;
    ExecutorService serverThreads;
    final ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
    final List<Received> received = new CopyOnWriteArrayList<>();
    final CountDownLatch release = new CountDownLatch(1);
    ListAppender<ILoggingEvent> logs;
    Logger sinkLogger;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads);
        server.createContext("/hook", this::answer);
        server.createContext("/hang", exchange -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        server.start();
        sinkLogger = (Logger) LoggerFactory.getLogger(WebhookAlertSink.class);
        logs = new ListAppender<>();
        logs.start();
        sinkLogger.addAppender(logs);
    }

    @AfterEach
    void stopServer() {
        sinkLogger.detachAppender(logs);
        release.countDown();
        server.stop(0);
        serverThreads.shutdownNow();
    }

    private void answer(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        received.add(new Received(exchange.getRequestHeaders().getFirst("Content-Type"),
                exchange.getRequestHeaders().getFirst("Authorization"), body));
        Integer status = statuses.poll();
        exchange.sendResponseHeaders(status == null ? 200 : status, -1);
        exchange.close();
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    private WebhookAlertSink.Builder sink(String url) {
        return WebhookAlertSink.builder().withUrl(url)
                .withBackoff(Duration.ofMillis(10), Duration.ofMillis(40))
                .withRequestTimeout(Duration.ofSeconds(5));
    }

    private static Alert alert(Severity severity) {
        return Alert.violation(UUID.randomUUID(), "shop", "customer_email_not_null", severity,
                Instant.parse("2026-11-21T16:20:00Z"), new AlertData(1, 10, "customer", "not_null", "email is null",
                        List.of()));
    }

    @Test
    void shouldPostStructuredCloudEventAndCountDelivery() {
        Alert first = alert(Severity.WARNING);
        Alert second = alert(Severity.CRITICAL);

        try (WebhookAlertSink sink = sink(url("/hook")).build()) {
            sink.publish(List.of(first, second));

            assertThat(received).extracting(Received::contentType)
                    .containsExactly("application/cloudevents+json", "application/cloudevents+json");
            assertThat(received).extracting(r -> AlertEvents.parse(r.body())).containsExactly(first, second);
            assertThat(sink.stats()).containsExactly(new WebhookAlertSink.UrlStats(url("/hook"), 2, 0));
        }
    }

    @Test
    void shouldRetryAfter503ThenDeliver() {
        statuses.add(503);
        statuses.add(200);
        Alert alert = alert(Severity.WARNING);

        try (WebhookAlertSink sink = sink(url("/hook")).build()) {
            sink.publish(List.of(alert));

            assertThat(received).hasSize(2);
            assertThat(AlertEvents.parse(received.get(1).body())).isEqualTo(alert);
            assertThat(sink.stats().get(0).delivered()).isEqualTo(1);
            assertThat(sink.stats().get(0).failed()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {408, 429, 500, 503})
    void shouldGiveUpAfterMaxAttemptsWithoutThrowing(int status) {
        for (int i = 0; i < 10; i++) {
            statuses.add(status);
        }

        try (WebhookAlertSink sink = sink(url("/hook")).withMaxAttempts(3).build()) {
            assertThatCode(() -> sink.publish(List.of(alert(Severity.WARNING)))).doesNotThrowAnyException();

            assertThat(received).hasSize(3);
            assertThat(sink.stats().get(0).delivered()).isZero();
            assertThat(sink.stats().get(0).failed()).isEqualTo(1);
            assertThat(messages()).anyMatch(m -> m.contains("gave up") && m.contains("HTTP " + status));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 404, 410})
    void shouldNotRetryClientError(int status) {
        statuses.add(status);

        try (WebhookAlertSink sink = sink(url("/hook")).build()) {
            sink.publish(List.of(alert(Severity.WARNING)));

            assertThat(received).hasSize(1);
            assertThat(sink.stats().get(0).failed()).isEqualTo(1);
            assertThat(messages()).anyMatch(m -> m.contains("HTTP " + status) && m.contains("not retried"));
        }
    }

    @Test
    void shouldGiveUpOnUnreachableUrlWithoutThrowing() throws IOException {
        int closedPort;
        try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }

        try (WebhookAlertSink sink = sink("http://127.0.0.1:" + closedPort + "/hook").build()) {
            sink.publish(List.of(alert(Severity.WARNING)));

            assertThat(sink.stats().get(0).failed()).isEqualTo(1);
            assertThat(messages()).anyMatch(m -> m.contains("gave up") && m.contains("ConnectException"));
        }
    }

    @Test
    void shouldNeverBlockLongerThanPublishTimeout() {
        try (WebhookAlertSink sink = sink(url("/hang")).withPublishTimeout(Duration.ofMillis(500)).build()) {
            long start = System.nanoTime();
            sink.publish(List.of(alert(Severity.WARNING), alert(Severity.WARNING), alert(Severity.WARNING)));
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(took).isLessThan(Duration.ofSeconds(2));
            assertThat(sink.stats().get(0).failed()).isEqualTo(3);
            assertThat(sink.stats().get(0).delivered()).isZero();
        }
    }

    @Test
    void shouldServeEachUrlDespiteAnotherOneHanging() {
        try (WebhookAlertSink sink = sink(url("/hang")).withUrl(url("/hook"))
                .withPublishTimeout(Duration.ofMillis(500)).build()) {
            sink.publish(List.of(alert(Severity.WARNING)));

            assertThat(sink.stats()).containsExactly(new WebhookAlertSink.UrlStats(url("/hang"), 0, 1),
                    new WebhookAlertSink.UrlStats(url("/hook"), 1, 0));
        }
    }

    @Test
    void shouldSkipAlertsBelowMinimumSeverity() {
        try (WebhookAlertSink sink = sink(url("/hook")).withMinSeverity(Severity.CRITICAL).build()) {
            sink.publish(List.of(alert(Severity.INFO), alert(Severity.WARNING), alert(Severity.CRITICAL)));

            assertThat(received).hasSize(1);
            assertThat(AlertEvents.parse(received.get(0).body()).severity()).isEqualTo(Severity.CRITICAL);
        }
    }

    @Test
    void shouldLogUrlWithUserInfoAndQueryRedacted() {
        statuses.add(400);
        String secretUrl = "http://hook-user:s3cr3t@127.0.0.1:" + server.getAddress().getPort()
                + "/hook?token=t0k3n&x=1";

        try (WebhookAlertSink sink = sink(secretUrl).build()) {
            sink.publish(List.of(alert(Severity.WARNING)));

            String redacted = "http://***@127.0.0.1:" + server.getAddress().getPort() + "/hook?***";
            assertThat(sink.stats().get(0).url()).isEqualTo(redacted);
            assertThat(received.get(0).authorization()).isEqualTo("Basic aG9vay11c2VyOnMzY3IzdA==");
            assertThat(messages()).isNotEmpty().allMatch(m -> !m.contains("s3cr3t") && !m.contains("t0k3n"))
                    .anyMatch(m -> m.contains(redacted));
        }
    }

    @Test
    void shouldRedactUserInfoQueryAndFragment() {
        assertThat(WebhookAlertSink.redact(URI.create("https://u:p@hooks.example.com:8443/a/b?key=k#frag")))
                .isEqualTo("https://***@hooks.example.com:8443/a/b?***");
        assertThat(WebhookAlertSink.redact(URI.create("https://hooks.example.com/a")))
                .isEqualTo("https://hooks.example.com/a");
    }

    private List<String> messages() {
        return logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
}
