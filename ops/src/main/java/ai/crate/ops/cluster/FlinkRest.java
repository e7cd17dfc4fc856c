package ai.crate.ops.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * The few calls of Flink's REST API the cluster tools make: the overview, job listing and status, and submitting a
 * jar ({@code POST /jars/upload}, then {@code POST /jars/<id>/run}) as {@code flink run} would.
 */
public final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public FlinkRest(String base) {
        this.base = base;
    }

    public JsonNode overview() throws IOException {
        return get("/overview");
    }

    public JsonNode jobs() throws IOException {
        return get("/jobs/overview");
    }

    public JsonNode job(String jobId) throws IOException {
        return get("/jobs/" + jobId);
    }

    /** Cancels a job (it ends in CANCELED). */
    public void cancel(String jobId) throws IOException {
        send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build());
    }

    /** A metric of every TaskManager ({@code Status.JVM.Memory.Heap.Used}, {@code Status.JVM.Threads.Count}). */
    public java.util.Map<String, Double> taskManagerMetric(String metric) throws IOException {
        java.util.Map<String, Double> values = new java.util.TreeMap<>();
        for (JsonNode tm : get("/taskmanagers").path("taskmanagers")) {
            String id = tm.path("id").asText();
            for (JsonNode m : get("/taskmanagers/" + id + "/metrics?get=" + metric)) {
                values.put(id, m.path("value").asDouble());
            }
        }
        return values;
    }

    /** The resource ids of the TaskManagers running the job's subtasks ({@code taskmanager-<index>} on the local cluster). */
    public java.util.Set<String> taskManagersOf(String jobId) throws IOException {
        java.util.Set<String> hosts = new java.util.TreeSet<>();
        for (JsonNode vertex : job(jobId).path("vertices")) {
            for (JsonNode subtask : get("/jobs/" + jobId + "/vertices/" + vertex.path("id").asText()).path("subtasks")) {
                hosts.add(subtask.path("taskmanager-id").asText());
            }
        }
        return hosts;
    }

    /** The back-pressure level ({@code ok}, {@code low}, {@code high}) of each vertex of a job, by vertex name. */
    public java.util.Map<String, String> backPressure(String jobId) throws IOException {
        java.util.Map<String, String> levels = new java.util.LinkedHashMap<>();
        for (JsonNode vertex : job(jobId).path("vertices")) {
            JsonNode pressure = get("/jobs/" + jobId + "/vertices/" + vertex.path("id").asText() + "/backpressure");
            levels.put(vertex.path("name").asText(), pressure.path("backpressureLevel").asText("unknown"));
        }
        return levels;
    }

    /** Uploads {@code jar} and runs {@code entryClass} with {@code args}; returns the job id. */
    public String submit(Path jar, String entryClass, List<String> args, int parallelism) throws IOException {
        String boundary = "crate-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(Files.readAllBytes(jar));
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonNode uploaded = send(HttpRequest.newBuilder(URI.create(base + "/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).timeout(Duration.ofMinutes(2))
                .build());
        String filename = uploaded.path("filename").asText();
        if (!"success".equals(uploaded.path("status").asText()) || filename.isEmpty()) {
            throw new IOException("Flink refused the jar " + jar + ": " + uploaded);
        }
        String jarId = Path.of(filename).getFileName().toString();
        ObjectNode run = JSON.createObjectNode();
        run.put("entryClass", entryClass);
        run.put("parallelism", parallelism);
        ArrayNode programArgs = run.putArray("programArgsList");
        args.forEach(programArgs::add);
        JsonNode started = send(HttpRequest.newBuilder(URI.create(base + "/jars/" + jarId + "/run"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(run))).timeout(Duration.ofMinutes(3))
                .build());
        String jobId = started.path("jobid").asText();
        if (jobId.isEmpty()) {
            throw new IOException("Flink did not start " + entryClass + ": " + started);
        }
        return jobId;
    }

    private JsonNode get(String path) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET().timeout(Duration.ofSeconds(10)).build());
    }

    private JsonNode send(HttpRequest request) throws IOException {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted calling " + request.uri(), e);
        }
        JsonNode body = response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        if (response.statusCode() / 100 != 2) {
            throw new IOException(request.method() + " " + request.uri() + " answered " + response.statusCode() + ": "
                    + body.path("errors"));
        }
        return body;
    }
}
