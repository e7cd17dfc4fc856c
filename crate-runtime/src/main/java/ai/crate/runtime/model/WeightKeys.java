package ai.crate.runtime.model;

import ai.crate.runtime.config.CrateConfig;

import java.util.LinkedHashMap;
import java.util.Map;

/** The state-dict keys of the authors' CRATE model and their shapes for a given config, in module order. */
public final class WeightKeys {
    public static final String CLS_TOKEN = "cls_token";
    public static final String POS_EMBEDDING = "pos_embedding";
    public static final String PATCH_NORM = "to_patch_embedding.1.";
    public static final String PATCH_LINEAR = "to_patch_embedding.2.";
    public static final String EMBED_NORM = "to_patch_embedding.3.";
    public static final String HEAD_NORM = "mlp_head.0.";
    public static final String HEAD_LINEAR = "mlp_head.1.";

    private WeightKeys() {
    }

    public static String layer(int index) {
        return "transformer.layers." + index + ".";
    }

    public static String norm1(int layer) {
        return layer(layer) + "0.norm.";
    }

    public static String qkv(int layer) {
        return layer(layer) + "0.fn.qkv.weight";
    }

    public static String toOut(int layer) {
        return layer(layer) + "0.fn.to_out.0.";
    }

    public static String norm2(int layer) {
        return layer(layer) + "1.norm.";
    }

    public static String ista(int layer) {
        return layer(layer) + "1.fn.weight";
    }

    /** Every key the config's model has, with its shape. */
    public static Map<String, int[]> expected(CrateConfig config) {
        int d = config.dim();
        int patchDim = config.patchDim();
        int inner = config.innerDim();
        Map<String, int[]> keys = new LinkedHashMap<>();
        keys.put(CLS_TOKEN, new int[] {1, 1, d});
        keys.put(POS_EMBEDDING, new int[] {1, config.tokens(), d});
        keys.put(PATCH_NORM + "weight", new int[] {patchDim});
        keys.put(PATCH_NORM + "bias", new int[] {patchDim});
        keys.put(PATCH_LINEAR + "weight", new int[] {d, patchDim});
        keys.put(PATCH_LINEAR + "bias", new int[] {d});
        keys.put(EMBED_NORM + "weight", new int[] {d});
        keys.put(EMBED_NORM + "bias", new int[] {d});
        for (int l = 0; l < config.depth(); l++) {
            keys.put(norm1(l) + "weight", new int[] {d});
            keys.put(norm1(l) + "bias", new int[] {d});
            keys.put(qkv(l), new int[] {inner, d});
            if (config.projectOut()) {
                keys.put(toOut(l) + "weight", new int[] {d, inner});
                keys.put(toOut(l) + "bias", new int[] {d});
            }
            keys.put(norm2(l) + "weight", new int[] {d});
            keys.put(norm2(l) + "bias", new int[] {d});
            keys.put(ista(l), new int[] {d, d});
        }
        keys.put(HEAD_NORM + "weight", new int[] {d});
        keys.put(HEAD_NORM + "bias", new int[] {d});
        keys.put(HEAD_LINEAR + "weight", new int[] {config.numClasses(), d});
        keys.put(HEAD_LINEAR + "bias", new int[] {config.numClasses()});
        return keys;
    }
}
