package ai.crate.edge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * The agent's HTTP endpoints: {@code /health/live} (200 while its threads run), {@code /health/ready} (200 once it
 * classifies and publishes, else 503 with the reason) and {@code /metrics} (Prometheus text format). Close to stop.
 */
final class HealthServer implements AutoCloseable {
    private final HttpServer server;

    /**
     * @param live    null when live, else why not
     * @param ready   null when ready, else why not
     * @param metrics the Prometheus text
     */
    HealthServer(int port, Supplier<String> live, Supplier<String> ready, Supplier<String> metrics)
            throws IOException {
        server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/health/live", exchange -> status(exchange, live.get(), "live"));
        server.createContext("/health/ready", exchange -> status(exchange, ready.get(), "ready"));
        server.createContext("/metrics", exchange -> send(exchange, 200, "text/plain; version=0.0.4",
                metrics.get()));
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void status(HttpExchange exchange, String problem, String ok) throws IOException {
        send(exchange, problem == null ? 200 : 503, "text/plain", (problem == null ? ok : problem) + "\n");
    }

    private static void send(HttpExchange exchange, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
