package ai.crate.ingest.feedback;

import ai.crate.ingest.IngestException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * One correction sent back by a person or a process: frame {@code seq} of camera {@code cameraId} shows
 * {@code label}. {@code source} says who said so ({@code operator:alice}, {@code audit-tool}); {@code timeMillis}
 * when. The record of the {@code feedback} topic, key the camera id; schema in {@code docs/schemas.md}.
 */
public record Feedback(String cameraId, long seq, String label, String source, long timeMillis) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public Feedback {
        if (cameraId == null || cameraId.isBlank()) {
            throw new IllegalArgumentException("feedback needs a camera id");
        }
        if (seq < 0) {
            throw new IllegalArgumentException("feedback for camera " + cameraId + ": seq must be 0 or more, got "
                    + seq);
        }
        if (label == null || label.isBlank()) {
            throw new IllegalArgumentException("feedback for " + cameraId + "/" + seq + " needs a label");
        }
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("feedback for " + cameraId + "/" + seq + " needs a source");
        }
    }

    /**
     * Reads {@code {"camera_id", "seq", "label", "source", "time_ms"}}.
     *
     * @throws IngestException naming what is missing or malformed
     */
    public static Feedback parse(byte[] value) throws IngestException {
        JsonNode root;
        try {
            root = value == null ? null : JSON.readTree(value);
        } catch (IOException e) {
            throw new IngestException("a feedback record must be JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IngestException("a feedback record must be a JSON object");
        }
        for (String field : new String[] {"camera_id", "label", "source"}) {
            if (!root.path(field).isTextual()) {
                throw new IngestException("a feedback record needs the string field '" + field + "'");
            }
        }
        for (String field : new String[] {"seq", "time_ms"}) {
            if (!root.path(field).canConvertToLong() || !root.path(field).isIntegralNumber()) {
                throw new IngestException("a feedback record needs the whole-number field '" + field + "'");
            }
        }
        try {
            return new Feedback(root.get("camera_id").asText(), root.get("seq").asLong(), root.get("label").asText(),
                    root.get("source").asText(), root.get("time_ms").asLong());
        } catch (IllegalArgumentException e) {
            throw new IngestException(e.getMessage());
        }
    }

    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("camera_id", cameraId);
        root.put("seq", seq);
        root.put("label", label);
        root.put("source", source);
        root.put("time_ms", timeMillis);
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }
}
