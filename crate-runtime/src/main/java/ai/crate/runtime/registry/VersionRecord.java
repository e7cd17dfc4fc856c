package ai.crate.runtime.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One model version in the registry: its bundle's files by sha256 (the manifest's own digest identifies the
 * version's content), who signed it, its state and the history of its states. Immutable; changes make a new record.
 */
public record VersionRecord(String name, String version, String parentVersion, Map<String, String> files,
                            long sizeBytes, String signedBy, VersionState state, List<Transition> history) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A change of state, when and why. */
    public record Transition(VersionState state, Instant time, String reason) {
    }

    public VersionRecord {
        files = Map.copyOf(files);
        history = List.copyOf(history);
    }

    /** The sha256 of the version's {@code manifest.json}: what {@code model-updates} announcements carry. */
    public String manifestSha256() {
        return files.get("manifest.json");
    }

    VersionRecord moved(VersionState next, Instant time, String reason) {
        List<Transition> moves = new ArrayList<>(history);
        moves.add(new Transition(next, time, reason));
        return new VersionRecord(name, version, parentVersion, files, sizeBytes, signedBy, next, moves);
    }

    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", name);
        root.put("version", version);
        if (parentVersion != null) {
            root.put("parent_version", parentVersion);
        }
        root.put("state", state.json());
        root.put("manifest_sha256", manifestSha256());
        ObjectNode fileNode = root.putObject("files");
        files.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> fileNode.put(e.getKey(),
                e.getValue()));
        root.put("size_bytes", sizeBytes);
        if (signedBy != null) {
            root.put("signed_by", signedBy);
        }
        ArrayNode moves = root.putArray("history");
        for (Transition t : history) {
            ObjectNode move = moves.addObject();
            move.put("state", t.state().json());
            move.put("time", t.time().toString());
            move.put("reason", t.reason());
        }
        return root;
    }

    static VersionRecord fromJson(JsonNode root) throws RegistryException {
        Map<String, String> files = new LinkedHashMap<>();
        root.path("files").properties().forEach(e -> files.put(e.getKey(), e.getValue().asText()));
        List<Transition> history = new ArrayList<>();
        for (JsonNode move : root.path("history")) {
            history.add(new Transition(VersionState.parse(move.path("state").asText()),
                    Instant.parse(move.path("time").asText()), move.path("reason").asText()));
        }
        String name = root.path("name").asText(null);
        String version = root.path("version").asText(null);
        if (name == null || version == null || !files.containsKey("manifest.json")) {
            throw new RegistryException("a version record needs name, version and files.manifest.json");
        }
        return new VersionRecord(name, version, root.hasNonNull("parent_version")
                ? root.get("parent_version").asText() : null, files, root.path("size_bytes").asLong(),
                root.hasNonNull("signed_by") ? root.get("signed_by").asText() : null,
                VersionState.parse(root.path("state").asText()), history);
    }
}
