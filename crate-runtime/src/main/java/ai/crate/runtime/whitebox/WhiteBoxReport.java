package ai.crate.runtime.whitebox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Locale;

/**
 * Renders per-layer white-box figures as JSON ({@code {"layers":[{"layer":0,"coding_rate_mean":…,"coding_rate_std":…,
 * "sparsity_mean":…,"sparsity_std":…}, …]}}, NaN as null) and as a text table for people.
 */
public final class WhiteBoxReport {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private WhiteBoxReport() {
    }

    public static String json(List<LayerStats> stats, int images) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("images", images);
        ArrayNode layers = root.putArray("layers");
        for (LayerStats s : stats) {
            ObjectNode layer = layers.addObject();
            layer.put("layer", s.layer());
            put(layer, "coding_rate_mean", s.codingRateMean());
            put(layer, "coding_rate_std", s.codingRateStd());
            put(layer, "sparsity_mean", s.sparsityMean());
            put(layer, "sparsity_std", s.sparsityStd());
        }
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise white-box stats", e);
        }
    }

    public static String table(List<LayerStats> stats) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%5s  %14s  %12s  %13s  %12s%n", "layer", "coding_rate", "(std)",
                "sparsity", "(std)"));
        for (LayerStats s : stats) {
            out.append(String.format(Locale.ROOT, "%5d  %14.4f  %12s  %13.6f  %12.6f%n", s.layer(), s.codingRateMean(),
                    Double.isNaN(s.codingRateStd()) ? "n/a" : String.format(Locale.ROOT, "%.4f", s.codingRateStd()),
                    s.sparsityMean(), s.sparsityStd()));
        }
        return out.toString();
    }

    private static void put(ObjectNode node, String key, double value) {
        if (Double.isNaN(value)) {
            node.putNull(key);
        } else {
            node.put(key, value);
        }
    }
}
