package ai.crate.runtime.engine.fast;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.LayerTensors;
import ai.crate.runtime.model.CrateWeights;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The fast CPU engine: the folded model (three products per layer instead of five), the whole batch and all heads in
 * OpenBLAS products on off-heap memory, Vector API row kernels, and one pool of {@code threads} workers splitting every
 * step. One instance is meant to be shared by all the threads of a process (for Flink, one per TaskManager): each call
 * borrows its own {@link Workspace}, so concurrent calls are safe and steady-state calls allocate only the returned
 * logits. Requires {@code --add-modules=jdk.incubator.vector}.
 */
public final class FastEngine implements CrateEngine {
    public static final String NAME = "fast";
    private static final Logger LOG = LoggerFactory.getLogger(FastEngine.class);
    private static final int MIN_ROWS_PER_BLOCK = 48;

    private final CrateConfig config;
    private final FastWeights weights;
    private final WorkerPool pool;
    private final ConcurrentLinkedDeque<Workspace> workspaces = new ConcurrentLinkedDeque<>();
    private final List<Workspace> allWorkspaces = new ArrayList<>();
    private final float scale;
    private volatile boolean closed;

    public FastEngine(CrateWeights weights, EngineOptions options) {
        Blas.load();
        long start = System.nanoTime();
        this.config = weights.config();
        this.weights = new FastWeights(weights);
        this.pool = new WorkerPool(options.threads());
        this.scale = (float) Math.pow(config.dimHead(), -0.5);
        LOG.info("fast: folded weights prepared in {} ms ({} threads, OpenBLAS)", (System.nanoTime() - start) / 1_000_000,
                options.threads());
    }

    /** Multiply-adds per image of the folded graph this engine runs (fewer than the reference graph's). */
    public static long foldedMultiplyAdds(CrateConfig config) {
        return FastWeights.multiplyAdds(config);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public CrateConfig config() {
        return config;
    }

    @Override
    public float[] forward(float[] images, int batch, LayerObserver observer) {
        if (closed) {
            throw new IllegalStateException("the fast engine is closed");
        }
        int imageFloats = config.channels() * config.imageHeight() * config.imageWidth();
        if (batch < 1 || images.length != batch * imageFloats) {
            throw new IllegalArgumentException("expected " + batch + " images of [" + config.channels() + ", "
                    + config.imageHeight() + ", " + config.imageWidth() + "] = " + (long) batch * imageFloats
                    + " floats, got " + images.length);
        }
        Workspace workspace = borrow(batch);
        try {
            return run(workspace, images, batch, observer);
        } finally {
            workspaces.push(workspace);
        }
    }

    private Workspace borrow(int batch) {
        Workspace best = null;
        for (Workspace candidate : workspaces) {
            if (candidate.capacity >= batch && workspaces.remove(candidate)) {
                best = candidate;
                break;
            }
        }
        if (best == null) {
            best = new Workspace(config, batch, pool.threads());
            synchronized (allWorkspaces) {
                allWorkspaces.add(best);
            }
        }
        return best;
    }

    private float[] run(Workspace ws, float[] images, int batch, LayerObserver observer) {
        int t = config.tokens();
        int n = config.numPatches();
        int d = config.dim();
        int inner = config.innerDim();
        int patchDim = config.patchDim();
        int rows = batch * t;
        float eps = CrateConfig.LAYER_NORM_EPS;

        pool.run(batch, (worker, image) -> patchify(ws, worker, images, image));
        gemmRows(ws, batch * n, d, patchDim, ws.patches, weights.patch, 0f, ws.x, (worker, r0, r1) -> {
            ByteBuffer x = ws.x.bytes();
            for (int r = r0; r < r1; r++) {
                RowOps.addBias(x, (long) r * d, d, weights.patchBias, false);
            }
        });
        pool.run(batch, (worker, image) -> assembleTokens(ws, image));

        boolean trace = observer.wantsLayers();
        normRows(ws.z, ws.x, rows, d, eps);
        for (int l = 0; l < config.depth(); l++) {
            FastWeights.Layer layer = weights.layers.get(l);
            boolean last = l == config.depth() - 1;
            gemmRows(ws, rows, inner, d, ws.x, layer.qkv(), 0f, ws.w, (worker, r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    RowOps.addBias(ws.w.bytes(), (long) r * inner, inner, layer.qkvBias(), false);
                }
            });
            pool.run(batch * config.heads(), (worker, task) -> attention(ws, worker, task / config.heads(),
                    task % config.heads()));
            if (layer.toOut() != null) {
                gemmRows(ws, rows, d, inner, ws.concat, layer.toOut(), 1f, ws.z, (worker, r0, r1) -> {
                    for (int r = r0; r < r1; r++) {
                        RowOps.addBiasThenNorm(ws.z.bytes(), (long) r * d, d, layer.toOutBias(), false, ws.x.bytes(),
                                (long) r * d, eps);
                    }
                });
            } else {
                pool.run(blocks(rows), (worker, block) -> {
                    int[] range = range(rows, block);
                    for (int r = range[0]; r < range[1]; r++) {
                        RowOps.add(ws.z.bytes(), (long) r * d, ws.concat.bytes(), (long) r * inner, d);
                        RowOps.layerNorm(ws.z.bytes(), (long) r * d, ws.x.bytes(), (long) r * d, d, null, null, eps);
                    }
                });
            }
            float[][] wCopy = trace ? copyImages(ws.w, batch, t * inner) : null;
            float[][] zHalfCopy = trace ? copyImages(ws.z, batch, t * d) : null;
            gemmRows(ws, rows, d, d, ws.x, layer.ista(), 0f, ws.z, (worker, r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    if (last) {
                        RowOps.addBias(ws.z.bytes(), (long) r * d, d, layer.istaBias(), true);
                    } else {
                        RowOps.addBiasThenNorm(ws.z.bytes(), (long) r * d, d, layer.istaBias(), true, ws.x.bytes(),
                                (long) r * d, eps);
                    }
                }
            });
            if (trace) {
                float[][] zNext = copyImages(ws.z, batch, t * d);
                for (int b = 0; b < batch; b++) {
                    observer.onLayer(b, l, new LayerTensors(t, d, config.heads(), config.dimHead(), wCopy[b],
                            zHalfCopy[b], zNext[b]));
                }
            }
        }

        pool.run(batch, (worker, image) -> poolImage(ws, image));
        int classes = config.numClasses();
        ws.blas[0].gemm(false, batch, classes, d, 1f, ws.pooled, 0, d, weights.head, 0, classes, 0f, ws.logits, 0,
                classes);
        float[] logits = new float[batch * classes];
        for (int b = 0; b < batch; b++) {
            RowOps.addBias(ws.logits.bytes(), (long) b * classes, classes, weights.headBias, false);
        }
        ws.logits.get(0, logits, 0, logits.length);
        return logits;
    }

    /**
     * Patch tokens of one image, gathered on the heap, normalised without affine (folded into the product) and copied
     * into {@code patches} in one bulk write.
     */
    private void patchify(Workspace ws, int worker, float[] images, int image) {
        int c = config.channels();
        int height = config.imageHeight();
        int width = config.imageWidth();
        int p1 = config.patchHeight();
        int p2 = config.patchWidth();
        int gridW = width / p2;
        int patchDim = config.patchDim();
        int n = config.numPatches();
        float[] out = ws.patchScratch[worker];
        int base = image * c * height * width;
        int plane = height * width;
        for (int gy = 0; gy < height / p1; gy++) {
            for (int gx = 0; gx < gridW; gx++) {
                int patch = (gy * gridW + gx) * patchDim;
                for (int py = 0; py < p1; py++) {
                    int pixelRow = base + (gy * p1 + py) * width + gx * p2;
                    int at = patch + py * p2 * c;
                    for (int px = 0; px < p2; px++) {
                        for (int ch = 0; ch < c; ch++) {
                            out[at + px * c + ch] = images[pixelRow + px + ch * plane];
                        }
                    }
                }
            }
        }
        for (int r = 0; r < n; r++) {
            RowOps.layerNorm(out, r * patchDim, patchDim, CrateConfig.LAYER_NORM_EPS);
        }
        ws.patches.put((long) image * n * patchDim, out, n * patchDim);
    }

    /** z rows of one image: cls + pos[0], then LN_embed(patch embedding) + pos[i]. */
    private void assembleTokens(Workspace ws, int image) {
        int t = config.tokens();
        int d = config.dim();
        int n = config.numPatches();
        ByteBuffer z = ws.z.bytes();
        long first = (long) image * t * d;
        for (int j = 0; j < d; j++) {
            z.putFloat((int) ((first + j) * 4), weights.clsToken[j]);
        }
        RowOps.addHeap(z, first, weights.posEmbedding, 0, d);
        for (int i = 0; i < n; i++) {
            long target = first + (long) (i + 1) * d;
            RowOps.layerNorm(ws.x.bytes(), ((long) image * n + i) * d, z, target, d, weights.embedGamma,
                    weights.embedBeta, CrateConfig.LAYER_NORM_EPS);
            RowOps.addHeap(z, target, weights.posEmbedding, (i + 1) * d, d);
        }
    }

    /** One head of one image: scores, softmax, weighted sum written into its columns of {@code concat}. */
    private void attention(Workspace ws, int worker, int image, int head) {
        int t = config.tokens();
        int p = config.dimHead();
        int inner = config.innerDim();
        long offset = (long) image * t * inner + (long) head * p;
        NativeFloats scores = ws.scores[worker];
        Blas blas = ws.blas[worker];
        int stride = ws.scoreStride;
        blas.gemm(true, t, t, p, scale, ws.w, offset, inner, ws.w, offset, inner, 0f, scores, 0, stride);
        ByteBuffer s = scores.bytes();
        float[] sums = ws.rowSums[worker];
        for (int r = 0; r < t; r++) {
            sums[r] = RowOps.softmaxNumeratorsPadded(s, (long) r * stride, t, stride);
        }
        blas.gemm(false, t, p, t, 1f, scores, 0, stride, ws.w, offset, inner, 0f, ws.concat, offset, inner);
        ByteBuffer out = ws.concat.bytes();
        for (int r = 0; r < t; r++) {
            RowOps.scale(out, offset + (long) r * inner, p, 1f / sums[r]);
        }
    }

    /** The pooled token of one image (cls or the mean of all tokens), normalised without affine. */
    private void poolImage(Workspace ws, int image) {
        int t = config.tokens();
        int d = config.dim();
        ByteBuffer z = ws.z.bytes();
        ByteBuffer pooled = ws.pooled.bytes();
        long first = (long) image * t * d;
        long target = (long) image * d;
        if (config.pool() == Pool.CLS) {
            for (int j = 0; j < d; j++) {
                pooled.putFloat((int) ((target + j) * 4), z.getFloat((int) ((first + j) * 4)));
            }
        } else {
            for (int j = 0; j < d; j++) {
                pooled.putFloat((int) ((target + j) * 4), 0f);
            }
            for (int r = 0; r < t; r++) {
                RowOps.add(pooled, target, z, first + (long) r * d, d);
            }
            float inverse = 1f / t;
            for (int j = 0; j < d; j++) {
                int at = (int) ((target + j) * 4);
                pooled.putFloat(at, pooled.getFloat(at) * inverse);
            }
        }
        RowOps.layerNorm(pooled, target, pooled, target, d, null, null, CrateConfig.LAYER_NORM_EPS);
    }

    private void normRows(NativeFloats in, NativeFloats out, int rows, int width, float eps) {
        pool.run(blocks(rows), (worker, block) -> {
            int[] range = range(rows, block);
            for (int r = range[0]; r < range[1]; r++) {
                RowOps.layerNorm(in.bytes(), (long) r * width, out.bytes(), (long) r * width, width, null, null, eps);
            }
        });
    }

    /** What to do with a block of output rows right after its product, on the same worker. */
    @FunctionalInterface
    private interface RowEpilogue {
        void apply(int worker, int firstRow, int endRow);
    }

    /** {@code C[rows, n] = A[rows, k] · B[k, n] + beta·C}, row blocks in parallel, then the epilogue per block. */
    private void gemmRows(Workspace ws, int rows, int n, int k, NativeFloats a, NativeFloats b, float beta,
            NativeFloats c, RowEpilogue epilogue) {
        pool.run(blocks(rows), (worker, block) -> {
            int[] range = range(rows, block);
            int count = range[1] - range[0];
            if (count > 0) {
                ws.blas[worker].gemm(false, count, n, k, 1f, a, (long) range[0] * k, k, b, 0, n, beta, c,
                        (long) range[0] * n, n);
                epilogue.apply(worker, range[0], range[1]);
            }
        });
    }

    private int blocks(int rows) {
        return Math.max(1, Math.min(pool.threads(), (rows + MIN_ROWS_PER_BLOCK - 1) / MIN_ROWS_PER_BLOCK));
    }

    private int[] range(int rows, int block) {
        int blocks = blocks(rows);
        int per = (rows + blocks - 1) / blocks;
        return new int[] {Math.min(rows, block * per), Math.min(rows, (block + 1) * per)};
    }

    private static float[][] copyImages(NativeFloats source, int batch, int perImage) {
        float[][] out = new float[batch][perImage];
        for (int b = 0; b < batch; b++) {
            source.get((long) b * perImage, out[b], 0, perImage);
        }
        return out;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        pool.close();
        synchronized (allWorkspaces) {
            allWorkspaces.forEach(Workspace::close);
            allWorkspaces.clear();
        }
        weights.close();
    }
}
