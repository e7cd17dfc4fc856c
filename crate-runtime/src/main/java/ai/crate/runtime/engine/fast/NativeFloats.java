package ai.crate.runtime.engine.fast;

import org.bytedeco.javacpp.FloatPointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A block of off-heap float32 memory, seen both as a JavaCPP pointer (for OpenBLAS) and as a native-order direct
 * {@link ByteBuffer} (for the Vector API row kernels). Close it to free the memory.
 */
final class NativeFloats implements AutoCloseable {
    private final FloatPointer pointer;
    private final ByteBuffer bytes;
    private final FloatBuffer floats;
    private final long length;

    NativeFloats(long length) {
        if (length <= 0 || length * 4 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cannot allocate " + length + " floats in one block");
        }
        this.length = length;
        this.pointer = new FloatPointer(length);
        this.bytes = pointer.asByteBuffer().order(ByteOrder.nativeOrder());
        this.floats = bytes.asFloatBuffer();
    }

    static NativeFloats of(float[] values) {
        NativeFloats floats = new NativeFloats(values.length);
        floats.pointer.put(values, 0, values.length);
        return floats;
    }

    FloatPointer pointer() {
        return pointer;
    }

    ByteBuffer bytes() {
        return bytes;
    }

    long length() {
        return length;
    }

    void get(long offset, float[] out, int outOffset, int count) {
        floats.get(Math.toIntExact(offset), out, outOffset, count);
    }

    void put(long offset, float[] values, int from, int count) {
        floats.put(Math.toIntExact(offset), values, from, count);
    }

    @Override
    public void close() {
        pointer.close();
    }
}
