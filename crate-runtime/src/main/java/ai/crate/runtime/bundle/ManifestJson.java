package ai.crate.runtime.bundle;

import ai.crate.runtime.config.ConfigException;
import ai.crate.runtime.config.CrateConfigJson;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads and writes {@code manifest.json}; see {@code docs/bundle.md} for the format. */
final class ManifestJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ManifestJson() {
    }

    static String write(BundleManifest manifest) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", BundleManifest.FORMAT);
        root.put("name", manifest.name());
        root.put("version", manifest.version());
        if (manifest.parentVersion() != null) {
            root.put("parent_version", manifest.parentVersion());
        }
        root.put("created", manifest.created().toString());
        root.set("config", CrateConfigJson.toJson(manifest.config()));
        root.put("labels", manifest.labelsFile());
        ObjectNode pre = root.putObject("preprocessing");
        pre.put("resize", manifest.preprocessing().resize());
        ArrayNode crop = pre.putArray("crop");
        crop.add(manifest.preprocessing().cropHeight());
        crop.add(manifest.preprocessing().cropWidth());
        ArrayNode mean = pre.putArray("mean");
        for (double m : manifest.preprocessing().mean()) {
            mean.add(m);
        }
        ArrayNode std = pre.putArray("std");
        for (double s : manifest.preprocessing().std()) {
            std.add(s);
        }
        ObjectNode files = root.putObject("sha256");
        manifest.sha256().forEach(files::put);
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a manifest", e);
        }
    }

    static BundleManifest read(Path file) throws BundleException {
        JsonNode root;
        try {
            root = MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new BundleException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new BundleException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new BundleException(file + ": a manifest must be a JSON object");
        }
        int format = root.path("format").asInt(-1);
        if (format != BundleManifest.FORMAT) {
            throw new BundleException(file + ": manifest format " + root.path("format")
                    + " is not supported (this version reads format " + BundleManifest.FORMAT + ")");
        }
        try {
            JsonNode pre = required(file, root, "preprocessing");
            JsonNode crop = required(file, pre, "crop");
            int[] cropSize = crop.isIntegralNumber() ? new int[] {crop.intValue(), crop.intValue()}
                    : crop.isArray() && crop.size() == 2 ? new int[] {crop.get(0).asInt(), crop.get(1).asInt()} : null;
            if (cropSize == null || cropSize[0] <= 0 || cropSize[1] <= 0 || required(file, pre, "resize").asInt() <= 0) {
                throw new BundleException(file + ": preprocessing needs a positive resize and crop ([height, width])");
            }
            Preprocessing preprocessing = new Preprocessing(pre.get("resize").asInt(), cropSize[0], cropSize[1],
                    doubles(file, required(file, pre, "mean")), doubles(file, required(file, pre, "std")));
            Map<String, String> sha = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : required(file, root, "sha256").properties()) {
                sha.put(e.getKey(), e.getValue().asText());
            }
            return new BundleManifest(required(file, root, "name").asText(), required(file, root, "version").asText(),
                    root.hasNonNull("parent_version") ? root.get("parent_version").asText() : null,
                    CrateConfigJson.fromJson(required(file, root, "config")), required(file, root, "labels").asText(),
                    preprocessing, sha, Instant.parse(required(file, root, "created").asText()));
        } catch (ConfigException e) {
            throw new BundleException(file + ": config: " + e.getMessage());
        } catch (DateTimeParseException e) {
            throw new BundleException(file + ": 'created' is not an ISO-8601 instant");
        }
    }

    private static JsonNode required(Path file, JsonNode node, String key) throws BundleException {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            throw new BundleException(file + ": manifest lacks '" + key + "'");
        }
        return value;
    }

    private static double[] doubles(Path file, JsonNode array) throws BundleException {
        if (!array.isArray() || array.isEmpty()) {
            throw new BundleException(file + ": preprocessing mean and std must be arrays with one number per channel");
        }
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}
