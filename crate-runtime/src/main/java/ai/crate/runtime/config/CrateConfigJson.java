package ai.crate.runtime.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads and writes {@link CrateConfig} as JSON with the authors' key names, for example
 * {@code {"image_size": 224, "patch_size": 16, "num_classes": 1000, "dim": 384, "depth": 12, "heads": 6,
 * "dim_head": 64, "pool": "cls", "channels": 3, "ista": 0.1, "lambd": 0.1}}. {@code image_size} and
 * {@code patch_size} take an int or {@code [H, W]}; {@code dim_head}, {@code pool}, {@code channels}, {@code ista}
 * and {@code lambd} default as in the authors' constructor. {@link #readPartial} also accepts configs that leave
 * out what the weights determine.
 */
public final class CrateConfigJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Set<String> KEYS = Set.of("image_size", "patch_size", "num_classes", "dim", "depth",
            "heads", "dim_head", "pool", "channels", "ista", "lambd", "dropout", "emb_dropout");

    private CrateConfigJson() {
    }

    /** Reads a complete config file, applying the authors' defaults for optional keys. */
    public static CrateConfig read(Path file) throws ConfigException {
        PartialConfig partial = readPartial(file);
        try {
            return partial.complete();
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
    }

    public static CrateConfig parse(String json) throws ConfigException {
        try {
            return fromJson(MAPPER.readTree(json));
        } catch (JsonProcessingException e) {
            throw new ConfigException("config is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** Builds a complete config from a JSON object, applying the authors' defaults for optional keys. */
    public static CrateConfig fromJson(JsonNode node) throws ConfigException {
        return partialFromJson(node).complete();
    }

    /** Reads a config file that may leave out the keys the weights determine (see {@link PartialConfig}). */
    public static PartialConfig readPartial(Path file) throws ConfigException {
        JsonNode node;
        try {
            node = MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": not valid JSON (" + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + ")");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read config (" + e.getMessage() + ")");
        }
        try {
            return partialFromJson(node);
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
    }

    /** The keys present in a JSON object; unknown keys are an error so that typos do not pass silently. */
    public static PartialConfig partialFromJson(JsonNode node) throws ConfigException {
        if (node == null || !node.isObject()) {
            throw new ConfigException("config must be a JSON object with keys such as image_size, dim, depth");
        }
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!KEYS.contains(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw new ConfigException("unknown config key(s) " + unknown + ": the keys are image_size, patch_size,"
                    + " num_classes, dim, depth, heads, dim_head, pool, channels, ista, lambd");
        }
        Pool pool = null;
        if (has(node, "pool")) {
            JsonNode value = node.get("pool");
            String key = value.isTextual() ? value.asText() : value.toString();
            pool = Pool.fromKey(key).orElseThrow(() -> new ConfigException(
                    "unknown pool " + value + ": use \"cls\" (token 0) or \"mean\" (mean over all tokens)"));
        }
        return new PartialConfig(pair(node, "image_size"), pair(node, "patch_size"), optionalInt(node, "num_classes"),
                optionalInt(node, "dim"), optionalInt(node, "depth"), optionalInt(node, "heads"),
                optionalInt(node, "dim_head"), pool, optionalInt(node, "channels"), optionalFloat(node, "ista"),
                optionalFloat(node, "lambd"));
    }

    public static ObjectNode toJson(CrateConfig config) {
        ObjectNode node = MAPPER.createObjectNode();
        putPair(node, "image_size", config.imageHeight(), config.imageWidth());
        putPair(node, "patch_size", config.patchHeight(), config.patchWidth());
        node.put("num_classes", config.numClasses());
        node.put("dim", config.dim());
        node.put("depth", config.depth());
        node.put("heads", config.heads());
        node.put("dim_head", config.dimHead());
        node.put("pool", config.pool().key());
        node.put("channels", config.channels());
        node.put("ista", config.ista());
        node.put("lambd", config.lambd());
        return node;
    }

    public static String toJsonString(CrateConfig config) {
        try {
            return MAPPER.writeValueAsString(toJson(config));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a config", e);
        }
    }

    public static void write(CrateConfig config, Path file) throws IOException {
        Files.writeString(file, toJsonString(config) + "\n");
    }

    private static void putPair(ObjectNode node, String key, int height, int width) {
        if (height == width) {
            node.put(key, height);
        } else {
            ArrayNode array = node.putArray(key);
            array.add(height);
            array.add(width);
        }
    }

    private static int[] pair(JsonNode node, String key) throws ConfigException {
        if (!has(node, key)) {
            return null;
        }
        JsonNode value = node.get(key);
        if (value.isIntegralNumber() && value.canConvertToInt()) {
            return new int[] {value.intValue(), value.intValue()};
        }
        if (value.isArray() && value.size() == 2 && value.get(0).isIntegralNumber()
                && value.get(1).isIntegralNumber() && value.get(0).canConvertToInt() && value.get(1).canConvertToInt()) {
            return new int[] {value.get(0).intValue(), value.get(1).intValue()};
        }
        throw new ConfigException(key + " must be an int or [height, width], got " + value);
    }

    private static boolean has(JsonNode node, String key) {
        return node.has(key) && !node.get(key).isNull();
    }

    private static Integer optionalInt(JsonNode node, String key) throws ConfigException {
        if (!has(node, key)) {
            return null;
        }
        JsonNode value = node.get(key);
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new ConfigException(key + " must be an integer, got " + value);
        }
        return value.intValue();
    }

    private static Float optionalFloat(JsonNode node, String key) throws ConfigException {
        if (!has(node, key)) {
            return null;
        }
        JsonNode value = node.get(key);
        if (!value.isNumber()) {
            throw new ConfigException(key + " must be a number, got " + value);
        }
        return value.floatValue();
    }
}
