package ai.crate.runtime.engine.tensorrt;

import java.util.Locale;

/**
 * The precision a TensorRT plan is built for: {@code FP32} (TF32 disabled, closest to the reference), {@code FP16},
 * or {@code INT8} from explicit Q/DQ nodes in the ONNX graph (TensorRT's implicit calibrators are deprecated).
 */
public enum Precision {
    FP32,
    FP16,
    INT8;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Precision fromKey(String key) {
        for (Precision precision : values()) {
            if (precision.key().equals(key.toLowerCase(Locale.ROOT))) {
                return precision;
            }
        }
        throw new IllegalArgumentException("unknown precision '" + key + "': use fp32, fp16 or int8");
    }
}
