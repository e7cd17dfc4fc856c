package ai.crate.runtime.tensor;

import java.util.Locale;
import java.util.Optional;

/** Element types found in checkpoints, with their safetensors names and byte sizes. */
public enum DType {
    F32("F32", 4, true),
    F16("F16", 2, true),
    BF16("BF16", 2, true),
    F64("F64", 8, true),
    I64("I64", 8, false),
    I32("I32", 4, false),
    I16("I16", 2, false),
    I8("I8", 1, false),
    U8("U8", 1, false),
    BOOL("BOOL", 1, false);

    private final String safetensorsName;
    private final int byteSize;
    private final boolean floatingPoint;

    DType(String safetensorsName, int byteSize, boolean floatingPoint) {
        this.safetensorsName = safetensorsName;
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    public String safetensorsName() {
        return safetensorsName;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** The type for a safetensors {@code dtype} string, if it is one we know. */
    public static Optional<DType> fromSafetensors(String name) {
        for (DType type : values()) {
            if (type.safetensorsName.equals(name.toUpperCase(Locale.ROOT))) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
