package ai.crate.runtime.bundle;

import ai.crate.runtime.config.ConfigException;
import ai.crate.runtime.config.CrateConfigJson;
import ai.crate.runtime.whitebox.LayerStats;
import ai.crate.runtime.whitebox.WhiteBoxReference;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
        if (manifest.whiteboxReference() != null) {
            WhiteBoxReference reference = manifest.whiteboxReference();
            ObjectNode ref = root.putObject("whitebox_reference");
            ref.put("source", reference.source());
            ref.put("images", reference.images());
            ArrayNode layers = ref.putArray("layers");
            for (LayerStats layer : reference.layers()) {
                ObjectNode node = layers.addObject();
                node.put("layer", layer.layer());
                node.put("coding_rate_mean", layer.codingRateMean());
                node.put("coding_rate_std", layer.codingRateStd());
                node.put("sparsity_mean", layer.sparsityMean());
                node.put("sparsity_std", layer.sparsityStd());
            }
            ArrayNode covariance = ref.putArray("covariance");
            for (double[] row : reference.covariance()) {
                ArrayNode values = covariance.addArray();
                for (double v : row) {
                    values.add(v);
                }
            }
        }
        if (!manifest.training().isEmpty()) {
            root.set("training", MAPPER.valueToTree(manifest.training()));
        }
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
                    preprocessing, sha, Instant.parse(required(file, root, "created").asText()),
                    reference(file, root.get("whitebox_reference")), training(file, root.get("training")));
        } catch (ConfigException e) {
            throw new BundleException(file + ": config: " + e.getMessage());
        } catch (DateTimeParseException e) {
            throw new BundleException(file + ": 'created' is not an ISO-8601 instant");
        }
    }

    private static Map<String, Object> training(Path file, JsonNode node) throws BundleException {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new BundleException(file + ": 'training' must be an object");
        }
        Map<String, Object> training = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonNode value = e.getValue();
            if (!value.isNumber() && !value.isTextual()) {
                throw new BundleException(file + ": training." + e.getKey() + " must be a string or a number");
            }
            training.put(e.getKey(), value.isNumber() ? value.numberValue() : value.asText());
        }
        return training;
    }

    private static WhiteBoxReference reference(Path file, JsonNode node) throws BundleException {
        if (node == null || node.isNull()) {
            return null;
        }
        List<LayerStats> layers = new ArrayList<>();
        for (JsonNode layer : required(file, node, "layers")) {
            for (String key : new String[] {"layer", "coding_rate_mean", "coding_rate_std", "sparsity_mean",
                    "sparsity_std"}) {
                if (!layer.path(key).isNumber()) {
                    throw new BundleException(file + ": whitebox_reference.layers entries need a number '" + key
                            + "'");
                }
            }
            layers.add(new LayerStats(layer.get("layer").asInt(), layer.get("coding_rate_mean").asDouble(),
                    layer.get("coding_rate_std").asDouble(), layer.get("sparsity_mean").asDouble(),
                    layer.get("sparsity_std").asDouble()));
        }
        JsonNode rows = required(file, node, "covariance");
        double[][] covariance = new double[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            covariance[i] = doubles(file, rows.get(i));
        }
        try {
            return new WhiteBoxReference(node.path("source").asText(""), node.path("images").asInt(), layers,
                    covariance);
        } catch (IllegalArgumentException e) {
            throw new BundleException(file + ": whitebox_reference: " + e.getMessage());
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
