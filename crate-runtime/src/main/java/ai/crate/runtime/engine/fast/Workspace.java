package ai.crate.runtime.engine.fast;

import ai.crate.runtime.config.CrateConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * The off-heap activations of one forward pass for up to {@code capacity} images, plus per-worker scratch (attention
 * kernels and scores with their row sums, one image's patches) and per-worker OpenBLAS handles. A workspace serves one
 * call at a time; the engine keeps a pool of them so concurrent callers never share one, and steady-state calls
 * allocate nothing.
 */
final class Workspace implements AutoCloseable {
    final int capacity;
    final NativeFloats patches;
    final NativeFloats z;
    final NativeFloats x;
    final NativeFloats w;
    final NativeFloats concat;
    final NativeFloats pooled;
    final NativeFloats logits;
    final NativeFloats[] scores;
    /** Row stride of the score matrices: the token count rounded up to whole vectors, the padding held at −∞. */
    final int scoreStride;
    final float[][] rowSums;
    final float[][] patchScratch;
    /** Per-image copies handed to layer observers ({@code w}, {@code zHalf}, {@code zNext}), made on first use. */
    final float[][][] traced;
    /** The same for observers that want only the class token's row. */
    final float[][][] tracedClassToken;
    final Blas[] blas;
    final SymmetricAttention[] attention;
    private final List<NativeFloats> blocks = new ArrayList<>();
    private FastEngine.Pass pass;

    Workspace(CrateConfig config, int capacity, int workers) {
        this.capacity = capacity;
        long rows = (long) capacity * config.tokens();
        patches = keep(new NativeFloats((long) capacity * config.numPatches() * config.patchDim()));
        z = keep(new NativeFloats(rows * config.dim()));
        x = keep(new NativeFloats(rows * config.dim()));
        w = keep(new NativeFloats(rows * config.innerDim()));
        concat = keep(new NativeFloats(rows * config.innerDim()));
        pooled = keep(new NativeFloats((long) capacity * config.dim()));
        logits = keep(new NativeFloats((long) capacity * config.numClasses()));
        scores = new NativeFloats[workers];
        rowSums = new float[workers][RowOps.paddedLength(config.tokens())];
        patchScratch = new float[workers][config.numPatches() * config.patchDim()];
        traced = new float[3][capacity][];
        tracedClassToken = new float[3][capacity][];
        blas = new Blas[workers];
        attention = new SymmetricAttention[workers];
        int t = config.tokens();
        scoreStride = RowOps.paddedLength(t);
        for (int i = 0; i < workers; i++) {
            scores[i] = keep(new NativeFloats((long) t * scoreStride));
            for (int r = 0; r < t; r++) {
                for (int c = t; c < scoreStride; c++) {
                    scores[i].bytes().putFloat((r * scoreStride + c) * 4, Float.NEGATIVE_INFINITY);
                }
            }
            blas[i] = new Blas();
            attention[i] = new SymmetricAttention(t, config.dimHead());
        }
    }

    /** The reusable steps of a forward pass on this workspace, created on first use. */
    FastEngine.Pass pass(FastEngine engine) {
        if (pass == null) {
            pass = engine.new Pass(this);
        }
        return pass;
    }

    private NativeFloats keep(NativeFloats block) {
        blocks.add(block);
        return block;
    }

    @Override
    public void close() {
        blocks.forEach(NativeFloats::close);
    }
}
