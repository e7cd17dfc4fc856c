package ai.crate.runtime.quant;

import ai.crate.runtime.config.CrateConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * One activation that the INT8 graph quantizes: an input of a matrix product of the fused graph, named as the tensor
 * of the FP32 fused ONNX export (so the names also key TensorRT's calibration cache). {@code layer} is the CRATE layer
 * it belongs to, {@link #EMBEDDING} for the patch embedding and {@code depth} for the classifier head; mixed precision
 * keeps whole layers in float by these indices.
 */
public record QuantPoint(String tensor, int layer, Kind kind) {
    public static final int EMBEDDING = -1;

    /** What the activation is, in the order a layer computes them. */
    public enum Kind {
        PATCHES,
        QKV_INPUT,
        HEADS,
        ATTENTION,
        OUT_INPUT,
        ISTA_INPUT,
        HEAD_INPUT
    }

    public static String patches() {
        return "patch_embed/norm";
    }

    public static String qkvInput(int layer) {
        return "layer" + layer + "/norm1";
    }

    public static String heads(int layer) {
        return "w_" + layer;
    }

    public static String attention(int layer) {
        return "layer" + layer + "/attention";
    }

    public static String outInput(int layer) {
        return "layer" + layer + "/concat";
    }

    public static String istaInput(int layer) {
        return "layer" + layer + "/norm2";
    }

    public static String headInput() {
        return "head/norm";
    }

    /** Every point of a model, embedding first, then each layer in order, then the head. */
    public static List<QuantPoint> all(CrateConfig config) {
        List<QuantPoint> points = new ArrayList<>();
        points.add(new QuantPoint(patches(), EMBEDDING, Kind.PATCHES));
        for (int l = 0; l < config.depth(); l++) {
            points.add(new QuantPoint(qkvInput(l), l, Kind.QKV_INPUT));
            points.add(new QuantPoint(heads(l), l, Kind.HEADS));
            points.add(new QuantPoint(attention(l), l, Kind.ATTENTION));
            if (config.projectOut()) {
                points.add(new QuantPoint(outInput(l), l, Kind.OUT_INPUT));
            }
            points.add(new QuantPoint(istaInput(l), l, Kind.ISTA_INPUT));
        }
        points.add(new QuantPoint(headInput(), config.depth(), Kind.HEAD_INPUT));
        return points;
    }

    /** A layer index as people read it: {@code embedding}, {@code layer 3}, {@code head}. */
    public static String layerName(int layer, CrateConfig config) {
        return layer == EMBEDDING ? "embedding" : layer == config.depth() ? "head" : "layer " + layer;
    }
}
