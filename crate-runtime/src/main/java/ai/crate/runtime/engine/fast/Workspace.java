package ai.crate.runtime.engine.fast;

import ai.crate.runtime.config.CrateConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * The off-heap activations of one forward pass for up to {@code capacity} images, plus per-worker scratch (attention
 * kernels and scores with their row sums, one image's patches) and per-worker OpenBLAS handles. A workspace serves one
 * call at a time; the engine keeps a pool of them so concurrent callers never share one, and steady-state calls
 * allocate nothing. {@link #group} views the activations from one image on, for a worker that runs a whole pass over
 * a group of the batch's images on its own.
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
    /** Whether this is a {@link #group} view, whose passes run on one worker. */
    final boolean group;
    /** For a group view, the batch's observer with the group's image numbers; null on a whole workspace. */
    final ShiftedObserver observer;
    private final List<NativeFloats> blocks = new ArrayList<>();
    private final CrateConfig config;
    /** The group views made so far, by first image. */
    private final Workspace[] groups;
    private FastEngine.Pass pass;

    Workspace(CrateConfig config, int capacity, int workers) {
        this.config = config;
        this.capacity = capacity;
        this.group = false;
        this.observer = null;
        this.groups = new Workspace[capacity];
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

    /**
     * A view of {@code whole}'s activations from image {@code firstImage} on, sharing its per-worker scratch; its
     * copies for observers are its own, as groups hand theirs over at the same time.
     */
    private Workspace(Workspace whole, int firstImage) {
        this.config = whole.config;
        this.capacity = whole.capacity - firstImage;
        this.group = true;
        this.observer = new ShiftedObserver(firstImage);
        this.groups = new Workspace[0];
        long rows = (long) capacity * config.tokens();
        long firstRow = (long) firstImage * config.tokens();
        long patchFloats = (long) config.numPatches() * config.patchDim();
        patches = whole.patches.slice(firstImage * patchFloats, capacity * patchFloats);
        z = whole.z.slice(firstRow * config.dim(), rows * config.dim());
        x = whole.x.slice(firstRow * config.dim(), rows * config.dim());
        w = whole.w.slice(firstRow * config.innerDim(), rows * config.innerDim());
        concat = whole.concat.slice(firstRow * config.innerDim(), rows * config.innerDim());
        pooled = whole.pooled.slice((long) firstImage * config.dim(), (long) capacity * config.dim());
        logits = whole.logits.slice((long) firstImage * config.numClasses(), (long) capacity * config.numClasses());
        scores = whole.scores;
        scoreStride = whole.scoreStride;
        rowSums = whole.rowSums;
        patchScratch = whole.patchScratch;
        traced = new float[3][capacity][];
        tracedClassToken = new float[3][capacity][];
        blas = whole.blas;
        attention = whole.attention;
    }

    /** The view of this workspace's activations from image {@code firstImage} on, made on first use. */
    Workspace group(int firstImage) {
        if (groups[firstImage] == null) {
            groups[firstImage] = new Workspace(this, firstImage);
        }
        return groups[firstImage];
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
