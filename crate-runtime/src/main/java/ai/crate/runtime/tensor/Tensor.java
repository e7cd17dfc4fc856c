package ai.crate.runtime.tensor;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * A named float32 tensor in C order. The data may be a read-only view of a memory-mapped file; it is never copied
 * unless you ask ({@link #toArray()}).
 */
public final class Tensor {
    private final String name;
    private final int[] shape;
    private final FloatBuffer data;

    public Tensor(String name, int[] shape, FloatBuffer data) {
        int numel = Shapes.numel(shape);
        if (data.remaining() != numel) {
            throw new IllegalArgumentException("tensor " + name + " of shape " + Shapes.format(shape) + " needs "
                    + numel + " floats, got " + data.remaining());
        }
        this.name = name;
        this.shape = shape.clone();
        this.data = data.slice().asReadOnlyBuffer();
    }

    /** A tensor over a heap array (not copied). */
    public static Tensor of(String name, int[] shape, float[] values) {
        return new Tensor(name, shape, FloatBuffer.wrap(values));
    }

    public String name() {
        return name;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis];
    }

    public int numel() {
        return data.capacity();
    }

    public float get(int index) {
        return data.get(index);
    }

    /** A read-only view of the data, positioned at 0. */
    public FloatBuffer buffer() {
        return data.duplicate();
    }

    /** A fresh heap copy of the data. */
    public float[] toArray() {
        float[] out = new float[numel()];
        data.duplicate().get(out);
        return out;
    }

    /** For a matrix {@code [rows, cols]}: its transpose {@code [cols, rows]} as a fresh array. */
    public float[] transposedMatrix() {
        if (shape.length != 2) {
            throw new IllegalStateException("tensor " + name + " of shape " + Shapes.format(shape) + " is not a matrix");
        }
        int rows = shape[0];
        int cols = shape[1];
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = data.get(r * cols + c);
            }
        }
        return out;
    }

    public boolean hasShape(int... expected) {
        return Arrays.equals(shape, expected);
    }

    @Override
    public String toString() {
        return name + Shapes.format(shape);
    }
}
