package ai.crate.runtime.engine.fast;

import org.bytedeco.javacpp.FloatPointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A block of off-heap float32 memory, seen both as a JavaCPP pointer (for OpenBLAS) and as a native-order direct
 * {@link ByteBuffer} (for the Vector API row kernels). Close it to free the memory.
 *
 * <p>The k-th block allocated starts at cache line {@code 17·k mod 64} of its 4 KB page, 17 lines further into the page
 * than the block allocated before it. The
 * engine's kernels read a row of one block while writing the same row of another, and blocks that malloc had placed at
 * the same offset within a page made those loads wait on unrelated stores (4K aliasing): about two passes in five ran
 * 10-15% slower, depending on where the allocator put the workspace.
 */
final class NativeFloats implements AutoCloseable {
    private static final int LINE = 64;
    private static final int PAGE = 4096;
    private static final int STAGGER_LINES = 17;
    private static final AtomicInteger BLOCKS = new AtomicInteger();
    private final FloatPointer block;
    private final FloatPointer pointer;
    private final ByteBuffer bytes;
    private final FloatBuffer floats;
    private final long length;

    NativeFloats(long length) {
        this(length, BLOCKS.getAndIncrement());
    }

    /** A block that starts at cache line {@code 17·index mod 64} of its page. */
    NativeFloats(long length, int index) {
        if (length <= 0 || length * 4 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cannot allocate " + length + " floats in one block");
        }
        this.length = length;
        this.block = new FloatPointer(length + PAGE / Float.BYTES);
        long start = (long) Math.floorMod(index * STAGGER_LINES, PAGE / LINE) * LINE;
        long shift = Math.floorMod(start - block.address(), PAGE);
        this.pointer = new Shifted(block, shift / Float.BYTES, length);
        this.bytes = pointer.asByteBuffer().order(ByteOrder.nativeOrder());
        this.floats = bytes.asFloatBuffer();
    }

    /** A view of {@code length} floats of {@code whole} from {@code offset}, owning nothing: closing it frees nothing. */
    private NativeFloats(NativeFloats whole, long offset, long length) {
        if (offset < 0 || length <= 0 || offset + length > whole.length) {
            throw new IllegalArgumentException("floats " + offset + " to " + (offset + length) + " are outside a block of "
                    + whole.length);
        }
        this.length = length;
        this.block = null;
        this.pointer = new Shifted(whole.pointer, offset, length);
        this.bytes = pointer.asByteBuffer().order(ByteOrder.nativeOrder());
        this.floats = bytes.asFloatBuffer();
    }

    /** The floats {@code offset} to {@code offset + length} of this block, as a view that shares its memory. */
    NativeFloats slice(long offset, long length) {
        return new NativeFloats(this, offset, length);
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
        if (block != null) {
            block.close();
        }
    }

    /** A pointer to {@code length} floats from {@code floats} into {@code base}, owning nothing. */
    private static final class Shifted extends FloatPointer {
        Shifted(FloatPointer base, long floats, long length) {
            super(base);
            address = base.address() + floats * Float.BYTES;
            position = 0;
            limit = length;
            capacity = length;
        }
    }
}
