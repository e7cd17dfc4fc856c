package ai.crate.runtime.npy;

import ai.crate.runtime.tensor.Shapes;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * The contents of an {@code .npy} file: its dtype ({@code <f4}, {@code <f8}, {@code <i4}, {@code <i8}), shape and
 * little-endian data. Convert with {@link #toFloats()} or {@link #toLongs()}; check rank with {@link #requireRank}.
 */
public final class NpyArray {
    private final Path source;
    private final NpyType type;
    private final int[] shape;
    private final ByteBuffer data;

    NpyArray(Path source, NpyType type, int[] shape, ByteBuffer data) {
        this.source = source;
        this.type = type;
        this.shape = shape.clone();
        this.data = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    public NpyType type() {
        return type;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int numel() {
        return Shapes.numel(shape);
    }

    /** Fails with a message naming the file unless the array has {@code rank} axes. */
    public NpyArray requireRank(int rank, String layout) throws NpyException {
        if (shape.length != rank) {
            throw new NpyException(source + ": expected a rank-" + rank + " array " + layout + ", got shape "
                    + Shapes.format(shape));
        }
        return this;
    }

    /** Fails with a message naming the file unless the array has exactly this dtype. */
    public NpyArray requireType(NpyType expected) throws NpyException {
        if (type != expected) {
            throw new NpyException(source + ": dtype " + type.descr() + " but " + expected.descr() + " ("
                    + expected.name().toLowerCase(java.util.Locale.ROOT) + ") is required: convert with array.astype(numpy."
                    + expected.name().toLowerCase(java.util.Locale.ROOT) + ")");
        }
        return this;
    }

    /** The values as float32; float64 is rounded, integer arrays are refused (they are not images or logits). */
    public float[] toFloats() throws NpyException {
        float[] out = new float[numel()];
        switch (type) {
            case FLOAT32:
                data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
                return out;
            case FLOAT64:
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) data.getDouble(i * 8);
                }
                return out;
            default:
                throw new NpyException(source + ": dtype " + type.descr() + " where floating point data (float32)"
                        + " was expected: convert with array.astype(numpy.float32)");
        }
    }

    /** The values as longs; floating point arrays are refused (they are not labels or indices). */
    public long[] toLongs() throws NpyException {
        long[] out = new long[numel()];
        switch (type) {
            case INT32:
                for (int i = 0; i < out.length; i++) {
                    out[i] = data.getInt(i * 4);
                }
                return out;
            case INT64:
                data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
                return out;
            default:
                throw new NpyException(source + ": dtype " + type.descr() + " where integers (int64) were expected");
        }
    }
}
