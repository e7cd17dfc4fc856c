package ai.crate.runtime.onnx;

import java.util.Locale;

/**
 * The two exported graph forms: {@code REFERENCE} follows the spec op for op (heads one by one, ISTA as three
 * products); {@code FUSED} folds LayerNorm affines and the ISTA step into single products and batches the heads.
 */
public enum GraphForm {
    REFERENCE,
    FUSED;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static GraphForm fromKey(String key) {
        for (GraphForm form : values()) {
            if (form.key().equals(key)) {
                return form;
            }
        }
        throw new IllegalArgumentException("unknown graph form '" + key + "': use reference or fused");
    }
}
