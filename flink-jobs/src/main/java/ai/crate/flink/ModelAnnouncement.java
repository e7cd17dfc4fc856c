package ai.crate.flink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One record of the {@code model-updates} topic: a model version to serve, where its bundle is and the sha256 of the
 * bundle's {@code manifest.json} (which pins every other file by its own sha256). Parse with {@link #parse(byte[])},
 * which never throws: a record that is not a valid announcement comes back with {@link #error} set, so the job can
 * report it on {@code fleet-status} instead of failing.
 */
public class ModelAnnouncement {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public String name;
    public String version;
    public String bundleUri;
    public String sha256;
    /** Why the record is not a usable announcement, or null. */
    public String error;

    public ModelAnnouncement() {
    }

    public ModelAnnouncement(String name, String version, String bundleUri, String sha256) {
        this.name = name;
        this.version = version;
        this.bundleUri = bundleUri;
        this.sha256 = sha256;
    }

    /** Reads {@code {"name", "version", "bundle_uri", "sha256"}}; see {@code docs/schemas.md}. */
    public static ModelAnnouncement parse(byte[] value) {
        JsonNode root;
        try {
            root = value == null ? null : JSON.readTree(value);
        } catch (JsonProcessingException e) {
            return refused("a model-updates record must be JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            return refused("a model-updates record must be JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            return refused("a model-updates record must be a JSON object, got "
                    + (value == null ? "an empty record" : preview(value)));
        }
        ModelAnnouncement announcement = new ModelAnnouncement(text(root, "name"), text(root, "version"),
                text(root, "bundle_uri"), text(root, "sha256"));
        StringBuilder missing = new StringBuilder();
        for (String field : new String[] {"name", "version", "bundle_uri", "sha256"}) {
            if (text(root, field) == null) {
                missing.append(missing.length() == 0 ? "" : ", ").append(field);
            }
        }
        if (missing.length() > 0) {
            announcement.error = "a model-updates record needs the string fields name, version, bundle_uri and"
                    + " sha256; missing or not a string: " + missing;
        } else if (!SHA256.matcher(announcement.sha256.toLowerCase(Locale.ROOT)).matches()) {
            announcement.error = "sha256 must be 64 hexadecimal digits, got '" + announcement.sha256 + "'";
        } else {
            announcement.sha256 = announcement.sha256.toLowerCase(Locale.ROOT);
        }
        return announcement;
    }

    private static ModelAnnouncement refused(String error) {
        ModelAnnouncement announcement = new ModelAnnouncement();
        announcement.error = error;
        return announcement;
    }

    private static String text(JsonNode root, String field) {
        JsonNode node = root.get(field);
        return node != null && node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
    }

    private static String preview(byte[] value) {
        String text = new String(value, 0, Math.min(value.length, 60), StandardCharsets.UTF_8);
        return "'" + text + (value.length > 60 ? "…'" : "'");
    }

    public boolean isBad() {
        return error != null;
    }

    /** The announcement as the JSON it was read from (without {@link #error}). */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("name", name);
        root.put("version", version);
        root.put("bundle_uri", bundleUri);
        root.put("sha256", sha256);
        return root.toString();
    }

    @Override
    public String toString() {
        return isBad() ? "invalid announcement (" + error + ")" : name + " version " + version + " at " + bundleUri;
    }
}
