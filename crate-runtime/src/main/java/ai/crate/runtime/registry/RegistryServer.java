package ai.crate.runtime.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Serves a {@link ModelRegistry} read-only over HTTP for edge agents:
 * <pre>
 * GET /v1/models                      ["crate-shapes", …]
 * GET /v1/models/NAME                 the version records of NAME, oldest first
 * GET /v1/models/NAME/VERSION         one version record (files by sha256, state, history)
 * GET|HEAD /v1/blobs/SHA256           a file's bytes; "Range: bytes=FROM-[TO]" gives 206 and the rest, to resume
 * </pre>
 * Errors are JSON {@code {"error": "…"}} with 400, 404, 405 or 416. Close it to stop.
 */
public final class RegistryServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RegistryServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

    private final ModelRegistry registry;
    private final HttpServer server;
    private final ExecutorService executor;

    private RegistryServer(ModelRegistry registry, HttpServer server, ExecutorService executor) {
        this.registry = registry;
        this.server = server;
        this.executor = executor;
    }

    /** Starts serving on {@code host:port} (port 0 picks a free one; see {@link #port()}). */
    public static RegistryServer start(ModelRegistry registry, String host, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
        ExecutorService executor = Executors.newFixedThreadPool(8, task -> {
            Thread thread = new Thread(task, "registry-http");
            thread.setDaemon(true);
            return thread;
        });
        RegistryServer registryServer = new RegistryServer(registry, server, executor);
        server.createContext("/v1/", registryServer::handle);
        server.setExecutor(executor);
        server.start();
        return registryServer;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                error(exchange, 405, method + " is not supported; the registry is read-only over HTTP");
                return;
            }
            String[] parts = exchange.getRequestURI().getPath().substring("/v1/".length()).split("/", -1);
            try {
                if (parts.length == 2 && parts[0].equals("blobs")) {
                    blob(exchange, parts[1]);
                } else if (parts.length == 1 && parts[0].equals("models")) {
                    ArrayNode names = JSON.createArrayNode();
                    registry.models().forEach(names::add);
                    json(exchange, 200, names.toString());
                } else if (parts.length == 2 && parts[0].equals("models")) {
                    ArrayNode records = JSON.createArrayNode();
                    for (VersionRecord record : registry.versions(parts[1])) {
                        records.add(record.toJson());
                    }
                    if (records.isEmpty()) {
                        error(exchange, 404, "no model " + parts[1]);
                    } else {
                        json(exchange, 200, records.toString());
                    }
                } else if (parts.length == 3 && parts[0].equals("models")) {
                    json(exchange, 200, registry.get(parts[1], parts[2]).toJson().toString());
                } else {
                    error(exchange, 404, "no such resource: " + exchange.getRequestURI().getPath());
                }
            } catch (RegistryException e) {
                error(exchange, e.isNotFound() ? 404 : 400, e.getMessage());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("registry request {} failed: {}", exchange.getRequestURI(), e.toString());
        }
    }

    private void blob(HttpExchange exchange, String sha256) throws IOException {
        Optional<Path> file = registry.blob(sha256);
        if (file.isEmpty()) {
            error(exchange, 404, "no blob " + sha256);
            return;
        }
        long size = Files.size(file.get());
        long from = 0;
        long to = size - 1;
        String range = exchange.getRequestHeaders().getFirst("Range");
        boolean partial = range != null;
        if (partial) {
            Matcher m = RANGE.matcher(range.trim());
            if (!m.matches() || Long.parseLong(m.group(1)) >= size) {
                exchange.getResponseHeaders().set("Content-Range", "bytes */" + size);
                error(exchange, 416, "range '" + range + "' is not within the " + size + " bytes of " + sha256);
                return;
            }
            from = Long.parseLong(m.group(1));
            to = m.group(2).isEmpty() ? size - 1 : Math.min(size - 1, Long.parseLong(m.group(2)));
            if (to < from) {
                exchange.getResponseHeaders().set("Content-Range", "bytes */" + size);
                error(exchange, 416, "range '" + range + "' ends before it starts");
                return;
            }
            exchange.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + to + "/" + size);
        }
        long length = to - from + 1;
        exchange.getResponseHeaders().set("Accept-Ranges", "bytes");
        exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
        exchange.getResponseHeaders().set("ETag", "\"" + sha256 + "\"");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.getResponseHeaders().set("Content-Length", Long.toString(length));
        exchange.sendResponseHeaders(partial ? 206 : 200, head ? -1 : length);
        if (head) {
            return;
        }
        try (InputStream in = Files.newInputStream(file.get()); OutputStream out = exchange.getResponseBody()) {
            in.skipNBytes(from);
            byte[] buffer = new byte[1 << 16];
            long left = length;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    break;
                }
                out.write(buffer, 0, n);
                left -= n;
            }
        }
    }

    private static void json(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static void error(HttpExchange exchange, int status, String message) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        body.put("error", message);
        json(exchange, status, body.toString());
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
