package ai.crate.runtime.npy;

import java.util.Optional;

/** The {@code .npy} element types this project reads and writes, with their NumPy {@code descr} strings. */
public enum NpyType {
    FLOAT32("<f4", 4),
    FLOAT64("<f8", 8),
    INT32("<i4", 4),
    INT64("<i8", 8);

    private final String descr;
    private final int byteSize;

    NpyType(String descr, int byteSize) {
        this.descr = descr;
        this.byteSize = byteSize;
    }

    public String descr() {
        return descr;
    }

    public int byteSize() {
        return byteSize;
    }

    static Optional<NpyType> fromDescr(String descr) {
        for (NpyType type : values()) {
            if (type.descr.equals(descr)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
