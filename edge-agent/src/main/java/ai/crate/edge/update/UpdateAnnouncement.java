package ai.crate.edge.update;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A {@code model-updates} record as an agent reads it: the {@code model-updates} schema ({@code name},
 * {@code version}, {@code sha256} of the manifest; {@code bundle_uri} is for the Flink jobs, agents fetch from their
 * registry) plus who it is for ({@code group}, or {@code devices}; neither means everyone) and {@code action}:
 * {@code activate} (the default) or {@code rollback} (go back to the version before).
 */
public record UpdateAnnouncement(String name, String version, String sha256, String group, List<String> devices,
                                 boolean rollback) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** Parses a record; a malformed one is refused with the reason. */
    public static UpdateAnnouncement parse(byte[] value) throws UpdateException {
        JsonNode root;
        try {
            root = value == null ? null : JSON.readTree(value);
        } catch (IOException e) {
            throw new UpdateException("a model-updates record must be JSON: " + e.getMessage().lines().findFirst()
                    .orElse(""));
        }
        if (root == null || !root.isObject()) {
            throw new UpdateException("a model-updates record must be a JSON object");
        }
        String action = root.path("action").asText("activate");
        if (!action.equals("activate") && !action.equals("rollback")) {
            throw new UpdateException("action must be activate or rollback, got '" + action + "'");
        }
        List<String> devices = new ArrayList<>();
        root.path("devices").forEach(d -> devices.add(d.asText()));
        String name = root.path("name").asText("");
        String version = root.path("version").asText("");
        String sha256 = root.path("sha256").asText("");
        if (name.isBlank() || version.isBlank() || !action.equals("rollback") && !SHA256.matcher(sha256).matches()) {
            throw new UpdateException("a model-updates record needs name, version and a 64-hex-digit sha256");
        }
        return new UpdateAnnouncement(name, version, sha256, root.hasNonNull("group") ? root.get("group").asText()
                : null, List.copyOf(devices), action.equals("rollback"));
    }

    /** Whether the announcement is for device {@code deviceId} of {@code group}. */
    public boolean targets(String deviceId, String group) {
        if (!devices.isEmpty()) {
            return devices.contains(deviceId);
        }
        return this.group == null || this.group.equals(group);
    }
}
