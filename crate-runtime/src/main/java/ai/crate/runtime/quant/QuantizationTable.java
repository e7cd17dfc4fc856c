package ai.crate.runtime.quant;

import ai.crate.runtime.config.CrateConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The calibrated range ({@code amax}, the magnitude that maps to 127) of every activation the INT8 graph quantizes, by
 * {@link QuantPoint} tensor name, and the layers mixed precision keeps in float. Weights need no entry: they are
 * quantized per output column from their own values. Stored in bundles as {@value #FILE} ({@link #toJson},
 * {@link #read}).
 */
public record QuantizationTable(String method, int images, Map<String, Float> amax, Set<Integer> floatLayers) {
    public static final String FILE = "calibration.json";
    public static final int FORMAT = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public QuantizationTable {
        amax = Collections.unmodifiableMap(new LinkedHashMap<>(amax));
        floatLayers = Collections.unmodifiableSet(new TreeSet<>(floatLayers));
        for (Map.Entry<String, Float> entry : amax.entrySet()) {
            float value = entry.getValue();
            if (!(value >= 0) || Float.isInfinite(value)) {
                throw new IllegalArgumentException("calibration range of " + entry.getKey() + " is " + value
                        + "; ranges must be finite and >= 0");
            }
        }
    }

    /** Whether {@code point} is quantized: it has a range and its layer is not kept in float. */
    public boolean quantizes(QuantPoint point) {
        return amax.containsKey(point.tensor()) && !floatLayers.contains(point.layer());
    }

    /** Whether the products of {@code layer} (see {@link QuantPoint#layer()}) use INT8 weights. */
    public boolean quantizesLayer(int layer) {
        return !floatLayers.contains(layer);
    }

    public float scale(QuantPoint point) {
        Float range = amax.get(point.tensor());
        if (range == null) {
            throw new IllegalArgumentException("no calibration range for " + point.tensor());
        }
        return Int8.scale(range);
    }

    /** This table with {@code layers} kept in float as well. */
    public QuantizationTable withFloatLayers(Set<Integer> layers) {
        Set<Integer> all = new TreeSet<>(floatLayers);
        all.addAll(layers);
        return new QuantizationTable(method, images, amax, all);
    }

    /** Checks that every point of {@code config} outside the float layers has a range, and no range is unknown. */
    public void requireFor(CrateConfig config, String source) {
        Set<String> known = new TreeSet<>();
        for (QuantPoint point : QuantPoint.all(config)) {
            known.add(point.tensor());
            if (!floatLayers.contains(point.layer()) && !amax.containsKey(point.tensor())) {
                throw new IllegalArgumentException(source + ": no calibration range for " + point.tensor()
                        + ", which the model quantizes; calibrate again for this model");
            }
        }
        for (String name : amax.keySet()) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException(source + ": range for " + name + ", which this model (" + config
                        + ") does not have; the table belongs to another model");
            }
        }
        for (int layer : floatLayers) {
            if (layer < QuantPoint.EMBEDDING || layer > config.depth()) {
                throw new IllegalArgumentException(source + ": float layer " + layer + " outside -1.." + config.depth());
            }
        }
    }

    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("method", method);
        root.put("images", images);
        ObjectNode ranges = root.putObject("activations");
        amax.forEach((name, value) -> ranges.putObject(name).put("amax", value).put("scale", Int8.scale(value)));
        ArrayNode layers = root.putArray("float_layers");
        floatLayers.forEach(layers::add);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static QuantizationTable fromJson(String text, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": not JSON (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + ": not a calibration table (expected a JSON object)");
        }
        if (root.path("format").asInt(-1) != FORMAT) {
            throw new IllegalArgumentException(source + ": calibration table format " + root.path("format")
                    + ", this build reads format " + FORMAT);
        }
        JsonNode activations = root.path("activations");
        if (!activations.isObject()) {
            throw new IllegalArgumentException(source + ": no \"activations\" object");
        }
        Map<String, Float> ranges = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = activations.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode value = entry.getValue().path("amax");
            if (!value.isNumber()) {
                throw new IllegalArgumentException(source + ": activation " + entry.getKey() + " has no numeric amax");
            }
            ranges.put(entry.getKey(), value.floatValue());
        }
        Set<Integer> layers = new TreeSet<>();
        for (JsonNode layer : root.path("float_layers")) {
            if (!layer.isInt()) {
                throw new IllegalArgumentException(source + ": float_layers must hold layer indices, got " + layer);
            }
            layers.add(layer.intValue());
        }
        try {
            return new QuantizationTable(root.path("method").asText("unknown"), root.path("images").asInt(0), ranges,
                    layers);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage());
        }
    }

    public static QuantizationTable read(Path file) throws IOException {
        return fromJson(Files.readString(file), file.toString());
    }
}
