package ai.crate.edge;

import ai.crate.edge.spool.FsyncPolicy;
import ai.crate.edge.spool.SpoolLimits;
import ai.crate.ingest.codes.CodesOptions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The agent's {@code agent.yaml}: who it is, where Kafka is, the model, the cameras, the spool, the health port and
 * how it takes model updates.
 * Every key is checked: an unknown key, a missing required one or a bad value is refused with its path, e.g.
 * {@code agent.yaml: cameras[1].source is required}. The format, with defaults: {@code docs/edge-agent.md}.
 */
public record AgentConfig(String deviceId, String group, String bootstrap, String predictionsTopic,
                          String fleetTopic, Path model, String engine, int engineThreads, String enginePrecision,
                          Path engineCacheDirectory, int maxBatch,
                          long maxWaitMillis, int topK, List<Camera> cameras, Path spoolDirectory,
                          SpoolLimits spoolLimits, FsyncPolicy fsync, Path stateDirectory, int healthPort,
                          long heartbeatMillis, Updates updates, Uploads uploads, CodesOptions codes) {

    /** One camera: its id (the record key), its source URI, and an optional frame-rate cap (0 for none). */
    public record Camera(String id, String source, double fps) {
    }

    /**
     * Which frames the agent sends to {@code frames} for central fine-tuning (null: none): one in
     * {@code sampleEvery} per camera (0: none sampled), and every frame whose top-1 probability is below
     * {@code belowConfidence} (0: none), as JPEG at most {@code maxSide} pixels.
     */
    public record Uploads(String topic, long sampleEvery, double belowConfidence, int maxSide, int jpegQuality) {
    }

    /**
     * How the agent takes model updates (null: it does not): the topic, the registry it downloads from, the keys a
     * version must be signed by, where versions are kept, the download limit, and the canary's limits.
     */
    public record Updates(String topic, URI registry, List<Path> trustedKeys, Path modelsDirectory,
                          long maxDownloadBytes, int canaryFrames, double minAgreement, double maxLatencyRatio) {
    }

    public static AgentConfig load(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not valid YAML (" + e.getMessage().lines().findFirst()
                    .orElse("") + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a mapping of settings");
        }
        return parse(file.getFileName().toString(), root, file.toAbsolutePath().getParent());
    }

    /** Parses a config tree; relative paths are resolved against {@code base}. */
    static AgentConfig parse(String name, JsonNode root, Path base) {
        Reader r = new Reader(name);
        r.only(root, "", "device_id", "group", "kafka", "model", "engine", "engine_threads", "max_batch",
                "max_wait_ms", "top_k", "engine_precision", "engine_cache_dir", "cameras", "spool", "state_dir", "health_port", "heartbeat_seconds",
                "updates", "uploads", "codes");
        JsonNode kafka = r.object(root, "kafka", true);
        r.only(kafka, "kafka.", "bootstrap", "predictions_topic", "fleet_topic");
        JsonNode spool = r.object(root, "spool", false);
        r.only(spool, "spool.", "dir", "max_bytes", "max_age_hours", "segment_bytes", "fsync");
        List<Camera> cameras = new ArrayList<>();
        JsonNode list = root.get("cameras");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new IllegalArgumentException(name + ": cameras must be a list of at least one {id, source}");
        }
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String path = "cameras[" + i + "].";
            JsonNode camera = list.get(i);
            r.only(camera, path, "id", "source", "fps");
            String id = r.text(camera, path + "id", null);
            if (!ids.add(id)) {
                throw new IllegalArgumentException(name + ": " + path + "id '" + id + "' is used twice");
            }
            cameras.add(new Camera(id, r.text(camera, path + "source", null), r.number(camera, path + "fps", 0, 0,
                    1000)));
        }
        Path spoolDir = base.resolve(r.text(spool, "spool.dir", "spool"));
        SpoolLimits limits;
        try {
            limits = new SpoolLimits(r.whole(spool, "spool.max_bytes", 1L << 30, 1, Long.MAX_VALUE),
                    (long) (r.number(spool, "spool.max_age_hours", 168, 0.001, 1e6) * 3_600_000),
                    r.whole(spool, "spool.segment_bytes", 16L << 20, 4096, 1L << 30));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": spool: " + e.getMessage());
        }
        FsyncPolicy fsync;
        try {
            fsync = FsyncPolicy.parse(r.text(spool, "spool.fsync", "interval:200"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": spool.fsync: " + e.getMessage());
        }
        Updates updates = updates(r, name, root.get("updates"), base);
        return new AgentConfig(r.text(root, "device_id", null), r.text(root, "group", "default"),
                r.text(kafka, "kafka.bootstrap", null), r.text(kafka, "kafka.predictions_topic", "predictions"),
                r.text(kafka, "kafka.fleet_topic", "fleet-status"), base.resolve(r.text(root, "model", null)),
                r.text(root, "engine", "auto"),
                (int) r.whole(root, "engine_threads", Runtime.getRuntime().availableProcessors(), 1, 256),
                precision(r, name, root), base.resolve(r.text(root, "engine_cache_dir", "state/engines")),
                (int) r.whole(root, "max_batch", 4, 1, 256), r.whole(root, "max_wait_ms", 50, 0, 60_000),
                (int) r.whole(root, "top_k", 3, 1, 1000), List.copyOf(cameras), spoolDir, limits, fsync,
                base.resolve(r.text(root, "state_dir", "state")), (int) r.whole(root, "health_port", 8719, 0, 65535),
                (long) (r.number(root, "heartbeat_seconds", 10, 0.1, 3600) * 1000), updates,
                uploads(r, root.get("uploads")), codes(r, name, root.get("codes")));
    }

    private static CodesOptions codes(Reader r, String name, JsonNode node) {
        if (node == null) {
            return null;
        }
        r.only(node, "codes.", "layer", "tokens", "top_k", "min", "precision", "topic");
        String precision = r.text(node, "codes.precision", "fp16");
        if (!precision.equals("fp16") && !precision.equals("fp32")) {
            throw new IllegalArgumentException(name + ": codes.precision must be fp16 or fp32, got '" + precision
                    + "'");
        }
        try {
            return new CodesOptions(true, (int) r.whole(node, "codes.layer", -1, -1, 1000),
                    CodesOptions.tokens(r.text(node, "codes.tokens", "cls")), (int) r.whole(node, "codes.top_k", 0, 0,
                    1 << 20), (float) r.number(node, "codes.min", 0, 0, Float.MAX_VALUE), precision.equals("fp16"),
                    r.text(node, "codes.topic", "sparse-codes"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": codes: " + e.getMessage().replace("--codes-", "codes."));
        }
    }

    private static String precision(Reader r, String name, JsonNode root) {
        String precision = r.text(root, "engine_precision", "fp16");
        if (!precision.equals("fp16") && !precision.equals("fp32")) {
            throw new IllegalArgumentException(name + ": engine_precision must be fp16 or fp32, got '" + precision
                    + "'");
        }
        return precision;
    }

    private static Uploads uploads(Reader r, JsonNode node) {
        if (node == null) {
            return null;
        }
        r.only(node, "uploads.", "topic", "sample_every", "below_confidence", "max_side", "jpeg_quality");
        return new Uploads(r.text(node, "uploads.topic", "frames"), r.whole(node, "uploads.sample_every", 0, 0,
                Long.MAX_VALUE), r.number(node, "uploads.below_confidence", 0, 0, 1),
                (int) r.whole(node, "uploads.max_side", 640, 16, 8192),
                (int) r.whole(node, "uploads.jpeg_quality", 90, 1, 100));
    }

    private static Updates updates(Reader r, String name, JsonNode node, Path base) {
        if (node == null) {
            return null;
        }
        r.only(node, "updates.", "topic", "registry", "trusted_keys", "models_dir", "max_download_mb",
                "canary_frames", "min_agreement", "max_latency_ratio");
        String registry = r.text(node, "updates.registry", null);
        URI uri;
        try {
            uri = URI.create(registry);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": updates.registry '" + registry + "' is not a URI");
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new IllegalArgumentException(name + ": updates.registry must be an http:// or https:// URL (bin/crate"
                    + " registry serve), got '" + registry + "'");
        }
        List<Path> keys = new ArrayList<>();
        for (String key : r.text(node, "updates.trusted_keys", null).split(",")) {
            if (!key.isBlank()) {
                keys.add(base.resolve(key.trim()));
            }
        }
        return new Updates(r.text(node, "updates.topic", "model-updates"), uri, List.copyOf(keys),
                base.resolve(r.text(node, "updates.models_dir", "models")),
                r.whole(node, "updates.max_download_mb", 2048, 1, 1 << 20) << 20,
                (int) r.whole(node, "updates.canary_frames", 16, 1, 1024),
                r.number(node, "updates.min_agreement", 0.9, 0, 1),
                r.number(node, "updates.max_latency_ratio", 2.0, 0.01, 1000));
    }

    /** Reads values by path, with the file's name in every error. */
    private record Reader(String name) {
        void only(JsonNode node, String prefix, String... keys) {
            if (node == null) {
                return;
            }
            if (!node.isObject()) {
                throw new IllegalArgumentException(name + ": " + (prefix.isEmpty() ? "the file" : prefix
                        .substring(0, prefix.length() - 1)) + " must be a mapping");
            }
            Set<String> known = Set.of(keys);
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!known.contains(key)) {
                    throw new IllegalArgumentException(name + ": unknown setting " + prefix + key + " (known: "
                            + String.join(", ", keys) + ")");
                }
            }
        }

        JsonNode object(JsonNode root, String key, boolean required) {
            JsonNode node = root.get(key);
            if (node == null && required) {
                throw new IllegalArgumentException(name + ": " + key + " is required");
            }
            return node;
        }

        String text(JsonNode node, String path, String fallback) {
            JsonNode value = node == null ? null : node.get(path.substring(path.lastIndexOf('.') + 1));
            if (value == null || value.isNull()) {
                if (fallback == null) {
                    throw new IllegalArgumentException(name + ": " + path + " is required");
                }
                return fallback;
            }
            if (!value.isValueNode() || value.asText().isBlank()) {
                throw new IllegalArgumentException(name + ": " + path + " must be a non-empty string");
            }
            return value.asText();
        }

        long whole(JsonNode node, String path, long fallback, long min, long max) {
            JsonNode value = node == null ? null : node.get(path.substring(path.lastIndexOf('.') + 1));
            if (value == null || value.isNull()) {
                return fallback;
            }
            if (!value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < min
                    || value.asLong() > max) {
                throw new IllegalArgumentException(name + ": " + path + " must be a whole number from " + min
                        + " to " + max + ", got " + value);
            }
            return value.asLong();
        }

        double number(JsonNode node, String path, double fallback, double min, double max) {
            JsonNode value = node == null ? null : node.get(path.substring(path.lastIndexOf('.') + 1));
            if (value == null || value.isNull()) {
                return fallback;
            }
            if (!value.isNumber() || !(value.asDouble() >= min) || value.asDouble() > max) {
                throw new IllegalArgumentException(name + ": " + path + " must be a number from " + min + " to "
                        + max + ", got " + value);
            }
            return value.asDouble();
        }
    }
}
