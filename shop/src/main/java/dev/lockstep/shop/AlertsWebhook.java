package dev.lockstep.shop;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local endpoint for the shop definition's alert webhook ({@code SHOP_ALERTS_WEBHOOK}), so that the demo, tests
 * and benchmarks send nothing off the machine: it accepts every alert event and counts them.
 */
public final class AlertsWebhook implements AutoCloseable {

    private final HttpServer server;
    private final AtomicLong received = new AtomicLong();

    private AlertsWebhook(HttpServer server) {
        this.server = server;
    }

    /** Starts listening on a free port of 127.0.0.1. */
    public static AlertsWebhook start() {
        try {
            AlertsWebhook webhook = new AlertsWebhook(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
            webhook.server.createContext("/alerts", exchange -> {
                exchange.getRequestBody().readAllBytes();
                webhook.received.incrementAndGet();
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            });
            webhook.server.start();
            return webhook;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for alert webhooks on 127.0.0.1", e);
        }
    }

    /** Returns the URL to give the definition. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/alerts";
    }

    /** Returns how many alert events arrived. */
    public long received() {
        return received.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
