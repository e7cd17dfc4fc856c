package ai.crate.runtime.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A tensor as a checkpoint stores it: element type, shape, strides (in elements) and offset into a little-endian
 * byte storage. {@link #toFloat32()} gives a float32 {@link Tensor}: a zero-copy view for contiguous F32 data, a
 * converted heap copy otherwise.
 */
public final class StoredTensor {
    private final String name;
    private final DType dtype;
    private final int[] shape;
    private final long[] strides;
    private final long offset;
    private final ByteBuffer storage;

    public StoredTensor(String name, DType dtype, int[] shape, long[] strides, long offset, ByteBuffer storage) {
        if (strides.length != shape.length) {
            throw new IllegalArgumentException("tensor " + name + ": " + shape.length + " sizes but "
                    + strides.length + " strides");
        }
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.offset = offset;
        this.storage = storage.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A contiguous C-order tensor over {@code storage} from byte 0. */
    public static StoredTensor contiguous(String name, DType dtype, int[] shape, ByteBuffer storage) {
        return new StoredTensor(name, dtype, shape, contiguousStrides(shape), 0, storage);
    }

    public static long[] contiguousStrides(int[] shape) {
        long[] strides = new long[shape.length];
        long stride = 1;
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            strides[axis] = stride;
            stride *= shape[axis];
        }
        return strides;
    }

    /** The same data under another key. */
    public StoredTensor renamed(String newName) {
        return new StoredTensor(newName, dtype, shape, strides, offset, storage);
    }

    public String name() {
        return name;
    }

    public DType dtype() {
        return dtype;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int numel() {
        return Shapes.numel(shape);
    }

    /**
     * The largest element index this tensor touches, plus one; 0 for an empty tensor.
     *
     * @throws IllegalStateException if offset or strides are negative or the extent overflows
     */
    public long extentInElements() {
        if (offset < 0) {
            throw new IllegalStateException("tensor " + name + " has negative storage offset " + offset);
        }
        try {
            long last = offset;
            for (int axis = 0; axis < shape.length; axis++) {
                if (shape[axis] == 0) {
                    return 0;
                }
                if (strides[axis] < 0) {
                    throw new IllegalStateException("tensor " + name + " has negative stride " + strides[axis]);
                }
                last = Math.addExact(last, Math.multiplyExact(shape[axis] - 1L, strides[axis]));
            }
            return Math.addExact(last, 1);
        } catch (ArithmeticException e) {
            throw new IllegalStateException("tensor " + name + " has strides " + java.util.Arrays.toString(strides)
                    + " that reach past any possible storage");
        }
    }

    /**
     * The data as float32. Integer and boolean tensors are refused: CRATE weights are floating point.
     *
     * @throws IllegalStateException if the tensor is not floating point or reaches past its storage
     */
    public Tensor toFloat32() {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalStateException("tensor " + name + " has integer type " + dtype
                    + "; CRATE weights must be floating point (F32, F16, BF16 or F64)");
        }
        long extent = extentInElements();
        long needed = extent > storage.capacity() ? Long.MAX_VALUE : extent * dtype.byteSize();
        if (needed > storage.capacity()) {
            throw new IllegalStateException("tensor " + name + " of shape " + Shapes.format(shape) + " needs "
                    + needed + " bytes but its storage holds " + storage.capacity());
        }
        boolean contiguous = java.util.Arrays.equals(strides, contiguousStrides(shape));
        if (dtype == DType.F32 && contiguous) {
            ByteBuffer bytes = storage.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            bytes.position(Math.toIntExact(offset * 4)).limit(Math.toIntExact(offset * 4 + numel() * 4L));
            FloatBuffer view = bytes.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            return new Tensor(name, shape, view);
        }
        float[] out = new float[numel()];
        int[] index = new int[shape.length];
        for (int i = 0; i < out.length; i++) {
            long element = offset;
            for (int axis = 0; axis < shape.length; axis++) {
                element += index[axis] * strides[axis];
            }
            out[i] = read(element);
            for (int axis = shape.length - 1; axis >= 0; axis--) {
                if (++index[axis] < shape[axis]) {
                    break;
                }
                index[axis] = 0;
            }
        }
        return Tensor.of(name, shape, out);
    }

    private float read(long element) {
        int at = Math.toIntExact(element * dtype.byteSize());
        switch (dtype) {
            case F32:
                return storage.getFloat(at);
            case F64:
                return (float) storage.getDouble(at);
            case F16:
                return HalfFloats.halfToFloat(storage.getShort(at));
            case BF16:
                return Float.intBitsToFloat((storage.getShort(at) & 0xffff) << 16);
            default:
                throw new IllegalStateException("not a floating point type: " + dtype);
        }
    }

    @Override
    public String toString() {
        return name + " " + dtype + Shapes.format(shape);
    }
}
