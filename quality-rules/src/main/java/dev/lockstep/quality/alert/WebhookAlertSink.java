package dev.lockstep.quality.alert;

import static java.util.Objects.requireNonNull;

import dev.lockstep.core.definition.Severity;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs each alert as a structured-mode CloudEvents JSON document ({@code Content-Type: application/cloudevents+json})
 * to every configured URL, in order. A 2xx is delivered; a network error, a timeout, 408, 429 or 5xx is retried with
 * exponential backoff up to {@code maxAttempts}; any other status is not retried. {@link #publish} never throws and
 * never blocks longer than {@code publishTimeout} (URLs are served in parallel, each within that budget); an alert a
 * URL did not take is counted as failed and logged, and the stream goes on. A URL's user-info is sent as HTTP Basic
 * authorization. URLs are logged with their user-info and query redacted, since those often carry secrets.
 */
public final class WebhookAlertSink implements AlertSink {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookAlertSink.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final List<Endpoint> endpoints;
    private final Builder config;
    private final HttpClient client;
    private final ExecutorService executor;

    private WebhookAlertSink(Builder config) {
        this.config = config;
        this.endpoints = config.urls.stream().map(Endpoint::new).toList();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "lockstep-webhook-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.client = HttpClient.newBuilder()
                .connectTimeout(config.requestTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(executor)
                .build();
    }

    /** Returns a builder; at least one URL is required. */
    public static Builder builder() {
        return new Builder(List.of(), 3, Duration.ofMillis(200), Duration.ofMillis(800), Duration.ofSeconds(5),
                Duration.ofSeconds(30), Severity.INFO);
    }

    /** Returns {@code url} fit for a log: user-info and query replaced by {@code ***}, fragment dropped. */
    public static String redact(URI url) {
        if (url.isOpaque() || url.getHost() == null) {
            return "<unparsable url>";
        }
        StringBuilder b = new StringBuilder().append(url.getScheme()).append("://");
        if (url.getRawUserInfo() != null) {
            b.append("***@");
        }
        b.append(url.getHost());
        if (url.getPort() != -1) {
            b.append(':').append(url.getPort());
        }
        b.append(url.getRawPath() == null ? "" : url.getRawPath());
        if (url.getRawQuery() != null) {
            b.append("?***");
        }
        return b.toString();
    }

    /** Delivers {@code alerts} of at least the minimum severity to every URL; never throws. */
    @Override
    public void publish(List<Alert> alerts) {
        List<Alert> selected = alerts.stream().filter(a -> a.severity().compareTo(config.minSeverity) >= 0).toList();
        if (selected.isEmpty() || executor.isShutdown()) {
            return;
        }
        List<byte[]> bodies = selected.stream().map(AlertEvents::serialize).toList();
        long deadline = System.nanoTime() + config.publishTimeout.toNanos();
        List<Callable<Void>> tasks = new ArrayList<>();
        for (Endpoint endpoint : endpoints) {
            tasks.add(() -> {
                endpoint.deliverAll(selected, bodies, deadline);
                return null;
            });
        }
        try {
            executor.invokeAll(tasks, config.publishTimeout.toMillis() + 100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("webhook delivery failed unexpectedly: {}", e.toString());
        }
    }

    /** Returns, per configured URL (redacted) in order, the alerts delivered and those given up on so far. */
    public List<UrlStats> stats() {
        return endpoints.stream()
                .map(e -> new UrlStats(e.redacted, e.delivered.get(), e.failed.get()))
                .toList();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    /** Counts for one webhook URL (redacted): alerts delivered, alerts given up on after retries. */
    public record UrlStats(String url, long delivered, long failed) {}

    private enum Outcome { DELIVERED, RETRY, GIVE_UP }

    private final class Endpoint {
        final URI url;
        final String redacted;
        final String authorization;
        final AtomicLong delivered = new AtomicLong();
        final AtomicLong failed = new AtomicLong();

        Endpoint(URI url) {
            this.url = url;
            this.redacted = redact(url);
            this.authorization = url.getUserInfo() == null ? null : "Basic " + Base64.getEncoder()
                    .encodeToString(url.getUserInfo().getBytes(StandardCharsets.UTF_8));
        }

        void deliverAll(List<Alert> alerts, List<byte[]> bodies, long deadline) {
            for (int i = 0; i < alerts.size(); i++) {
                if (Thread.currentThread().isInterrupted() || System.nanoTime() >= deadline) {
                    int left = alerts.size() - i;
                    failed.addAndGet(left);
                    LOG.warn("webhook {}: publish budget of {} spent; {} alerts not delivered", redacted,
                            config.publishTimeout, left);
                    return;
                }
                if (deliver(alerts.get(i), bodies.get(i), deadline)) {
                    delivered.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                }
            }
        }

        boolean deliver(Alert alert, byte[] body, long deadline) {
            Duration backoff = config.initialBackoff;
            String last = "no attempt within the publish budget";
            for (int attempt = 1; attempt <= config.maxAttempts; attempt++) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    break;
                }
                Duration timeout = Duration.ofNanos(Math.min(config.requestTimeout.toNanos(), remaining));
                Outcome outcome;
                try {
                    int status = send(body, timeout);
                    last = "HTTP " + status;
                    outcome = outcome(status);
                } catch (IOException e) {
                    last = e.getClass().getSimpleName() + scrub(e.getMessage());
                    outcome = Outcome.RETRY;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
                if (outcome == Outcome.DELIVERED) {
                    return true;
                }
                if (outcome == Outcome.GIVE_UP) {
                    LOG.warn("webhook {} refused alert {} ({}): {}; not retried", redacted, alert.id(),
                            alert.type().type(), last);
                    return false;
                }
                if (attempt < config.maxAttempts && !sleep(backoff, deadline)) {
                    break;
                }
                backoff = min(backoff.multipliedBy(2), config.maxBackoff);
            }
            LOG.warn("webhook {} gave up on alert {} ({}) after retries: {}", redacted, alert.id(),
                    alert.type().type(), last);
            return false;
        }

        int send(byte[] body, Duration timeout) throws IOException, InterruptedException {
            HttpRequest.Builder request = HttpRequest.newBuilder(url)
                    .timeout(timeout)
                    .header("Content-Type", AlertEvents.CONTENT_TYPE)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            return client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        }

        String scrub(String message) {
            if (message == null) {
                return "";
            }
            return ": " + message.replace(url.toString(), redacted);
        }
    }

    private static Outcome outcome(int status) {
        if (status >= 200 && status < 300) {
            return Outcome.DELIVERED;
        }
        return status == 408 || status == 429 || status >= 500 ? Outcome.RETRY : Outcome.GIVE_UP;
    }

    /** Sleeps {@code pause}, cut to the deadline; false when the deadline came first or the thread was interrupted. */
    private static boolean sleep(Duration pause, long deadline) {
        long remaining = deadline - System.nanoTime();
        if (remaining <= pause.toNanos()) {
            return false;
        }
        try {
            TimeUnit.NANOSECONDS.sleep(pause.toNanos());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Configures a {@link WebhookAlertSink}; {@code with*} methods return a copy. */
    public static final class Builder {

        private final List<URI> urls;
        private final int maxAttempts;
        private final Duration initialBackoff;
        private final Duration maxBackoff;
        private final Duration requestTimeout;
        private final Duration publishTimeout;
        private final Severity minSeverity;

        private Builder(List<URI> urls, int maxAttempts, Duration initialBackoff, Duration maxBackoff,
                Duration requestTimeout, Duration publishTimeout, Severity minSeverity) {
            this.urls = List.copyOf(urls);
            this.maxAttempts = maxAttempts;
            this.initialBackoff = initialBackoff;
            this.maxBackoff = maxBackoff;
            this.requestTimeout = requestTimeout;
            this.publishTimeout = publishTimeout;
            this.minSeverity = minSeverity;
        }

        /** Adds a webhook URL ({@code http} or {@code https}). */
        public Builder withUrl(URI url) {
            requireNonNull(url, "url");
            if (url.getHost() == null || !("http".equals(url.getScheme()) || "https".equals(url.getScheme()))) {
                throw new IllegalArgumentException("webhook url " + redact(url) + " must be http(s)://host/...");
            }
            List<URI> next = new ArrayList<>(urls);
            next.add(url);
            return new Builder(next, maxAttempts, initialBackoff, maxBackoff, requestTimeout, publishTimeout,
                    minSeverity);
        }

        /** Adds a webhook URL. */
        public Builder withUrl(String url) {
            return withUrl(URI.create(requireNonNull(url, "url")));
        }

        /** Attempts per alert and URL, the first included; 3 unless set. */
        public Builder withMaxAttempts(int attempts) {
            if (attempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1: " + attempts);
            }
            return new Builder(urls, attempts, initialBackoff, maxBackoff, requestTimeout, publishTimeout,
                    minSeverity);
        }

        /** The pause after the first failed attempt, doubled after each further one up to {@code max}; 200 → 800 ms. */
        public Builder withBackoff(Duration initial, Duration max) {
            positive(initial, "initial backoff");
            positive(max, "max backoff");
            if (max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("max backoff " + max + " is below initial backoff " + initial);
            }
            return new Builder(urls, maxAttempts, initial, max, requestTimeout, publishTimeout, minSeverity);
        }

        /** The limit of one HTTP attempt, connection included; 5 s unless set. */
        public Builder withRequestTimeout(Duration timeout) {
            return new Builder(urls, maxAttempts, initialBackoff, maxBackoff, positive(timeout, "request timeout"),
                    publishTimeout, minSeverity);
        }

        /** The most one {@link #publish} call may block, all retries included; 30 s unless set. */
        public Builder withPublishTimeout(Duration timeout) {
            return new Builder(urls, maxAttempts, initialBackoff, maxBackoff, requestTimeout,
                    positive(timeout, "publish timeout"), minSeverity);
        }

        /** Alerts below this severity are not sent; {@code info} (all) unless set. */
        public Builder withMinSeverity(Severity severity) {
            return new Builder(urls, maxAttempts, initialBackoff, maxBackoff, requestTimeout, publishTimeout,
                    requireNonNull(severity, "severity"));
        }

        /** Creates the sink; throws naming what is missing. */
        public WebhookAlertSink build() {
            if (urls.isEmpty()) {
                throw new IllegalStateException("WebhookAlertSink needs at least one url");
            }
            return new WebhookAlertSink(this);
        }

        private static Duration positive(Duration d, String what) {
            requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive: " + d);
            }
            return d;
        }
    }
}
