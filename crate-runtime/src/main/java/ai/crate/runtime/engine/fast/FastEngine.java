package ai.crate.runtime.engine.fast;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.ImageBatches;
import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.LayerTensors;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.quant.QuantizationTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.StampedLock;

/**
 * The fast CPU engine: the folded model (three products per layer instead of five), the whole batch in OpenBLAS
 * products on off-heap memory, each head's attention in register-blocked Vector API kernels, Vector API row kernels,
 * and one pool of {@code threads} workers. A batch that splits into one group of whole images per worker, of equal
 * sizes (or sizes one apart, from four images per worker), runs a whole pass per group; other batches have every step
 * split across the workers. One instance is meant to be shared by all the threads of a process (for Flink, one per
 * TaskManager): each call borrows its own {@link Workspace}, so concurrent calls are safe and steady-state calls
 * allocate only the returned logits. With class-token pooling the last layer computes only the class token after its
 * projection, unless an observer wants that layer's every token. Requires {@code --add-modules=jdk.incubator.vector}.
 * Built with a {@link QuantizationTable}, it simulates the INT8 graph instead ({@code fast-int8}): weights and product
 * inputs rounded to the INT8 grid, float arithmetic otherwise; a verification path, slower than the float one, and the
 * {@code w} its observers see is the rounded one.
 */
public final class FastEngine implements CrateEngine {
    public static final String NAME = "fast";
    public static final String INT8_NAME = "fast-int8";
    private static final Logger LOG = LoggerFactory.getLogger(FastEngine.class);
    private static final int MIN_ROWS_PER_BLOCK = 48;
    /** How far below the shared shift a row's largest score may lie before exponentials could underflow. */
    private static final float SHARED_SHIFT_RANGE = 60f;

    private final CrateConfig config;
    private final FastWeights weights;
    private final WorkerPool pool;
    private final ConcurrentLinkedDeque<Workspace> workspaces = new ConcurrentLinkedDeque<>();
    private final List<Workspace> allWorkspaces = new ArrayList<>();
    private final float scale;
    private final StampedLock lifecycle = new StampedLock();
    private final LongAdder perRowShiftHeads = new LongAdder();
    private final FakeQuantizer quantizer;
    private volatile boolean closed;

    public FastEngine(CrateWeights weights, EngineOptions options) {
        this(weights, options, null);
    }

    /** An engine that simulates the INT8 graph of {@code quantization}, or the float engine when it is null. */
    public FastEngine(CrateWeights weights, EngineOptions options, QuantizationTable quantization) {
        Blas.load();
        long start = System.nanoTime();
        this.config = weights.config();
        if (quantization != null) {
            quantization.requireFor(config, "quantization table");
        }
        this.quantizer = quantization != null ? new FakeQuantizer(config, quantization) : null;
        this.weights = new FastWeights(weights, quantization);
        this.pool = new WorkerPool(options.threads());
        this.scale = (float) Math.pow(config.dimHead(), -0.5);
        LOG.info("fast: folded weights prepared in {} ms ({} threads, OpenBLAS)", (System.nanoTime() - start) / 1_000_000,
                options.threads());
    }

    /** Multiply-adds per image of the folded graph this engine runs (fewer than the reference graph's). */
    public static long foldedMultiplyAdds(CrateConfig config) {
        return FastWeights.multiplyAdds(config);
    }

    /** How many (image, head) attentions took the general path with a shift per row, since creation. */
    long perRowShiftHeads() {
        return perRowShiftHeads.sum();
    }

    @Override
    public String name() {
        return quantizer != null ? INT8_NAME : NAME;
    }

    @Override
    public CrateConfig config() {
        return config;
    }

    @Override
    public float[] forward(float[] images, int batch, LayerObserver observer) {
        ImageBatches.requireShape(config, images, batch);
        float[] logits = new float[batch * config.numClasses()];
        run(images, batch, logits, observer);
        return logits;
    }

    @Override
    public void forwardInto(float[] images, int batch, float[] logits) {
        if (logits.length < batch * config.numClasses()) {
            throw new IllegalArgumentException("logits needs " + batch * config.numClasses() + " floats, got "
                    + logits.length);
        }
        run(images, batch, logits, LayerObserver.NONE);
    }

    private void run(float[] images, int batch, float[] logits, LayerObserver observer) {
        ImageBatches.requireShape(config, images, batch);
        long stamp = lifecycle.readLock();
        try {
            if (closed) {
                throw new IllegalStateException("the fast engine is closed");
            }
            Workspace workspace = borrow(batch);
            try {
                run(workspace, images, batch, logits, observer);
            } finally {
                workspaces.push(workspace);
            }
        } finally {
            lifecycle.unlockRead(stamp);
        }
    }

    /** The idle workspace with the smallest capacity that holds {@code batch} images, or a new one. */
    private Workspace borrow(int batch) {
        Workspace best = null;
        for (Workspace candidate : workspaces) {
            if (candidate.capacity >= batch && (best == null || candidate.capacity < best.capacity)) {
                best = candidate;
            }
        }
        if (best != null && !workspaces.remove(best)) {
            best = null;
        }
        if (best == null) {
            best = new Workspace(config, batch, pool.threads());
            synchronized (allWorkspaces) {
                allWorkspaces.add(best);
            }
        }
        return best;
    }

    /**
     * One pass over the batch. When the workers can take groups of whole images of (nearly) equal size, each runs the
     * whole pass over its group on its own, with no hand-over between steps (its observer calls included): 8-10%
     * faster than splitting every step across the workers, which is what smaller batches get.
     */
    private void run(Workspace ws, float[] images, int batch, float[] logits, LayerObserver observer) {
        Pass pass = ws.pass(this);
        int threads = pool.threads();
        boolean groups = threads > 1 && batch >= threads && (batch % threads == 0 || batch >= 4 * threads);
        if (groups) {
            pass.forwardInGroups(images, batch, threads, logits, observer);
        } else {
            pass.forward(images, 0, batch, logits, observer);
        }
    }

    /**
     * The steps of one forward pass on one workspace, created once with the workspace so that a pass allocates no
     * task objects: each step reads the pass's current batch, layer and product from fields set before it runs.
     */
    final class Pass {
        private final Workspace ws;
        /** The pool that splits each step, or null for a group's pass, which runs on {@link #soloWorker} alone. */
        private final WorkerPool steps;
        private int soloWorker;
        private float[] images;
        private int firstImage;
        private int batch;
        private int rows;
        private FastWeights.Layer layer;
        private int layerIndex;
        private boolean lastLayer;
        private int gemmRows;
        private int gemmN;
        private int gemmK;
        private NativeFloats gemmA;
        private NativeFloats gemmB;
        private NativeFloats gemmC;
        private float gemmBeta;
        private RowEpilogue gemmEpilogue;
        private float[] groupLogits;
        private LayerObserver groupObserver;
        private int groupBatch;
        private int groupCount;

        final WorkerPool.Task patchify;
        final WorkerPool.Task assemble;
        final WorkerPool.Task firstNorm;
        final WorkerPool.Task attention;
        final WorkerPool.Task classAttention;
        final WorkerPool.Task residualNorm;
        final WorkerPool.Task poolTokens;
        final RowEpilogue embedBias;
        final RowEpilogue qkvBias;
        final RowEpilogue outBiasNorm;
        final RowEpilogue istaBiasReluNorm;
        private final WorkerPool.Task gemmBlock;
        /** Runs the whole pass over one of the {@link #groupCount} groups of the batch on the worker that takes it. */
        private final WorkerPool.Task groupPass;

        Pass(Workspace workspace) {
            this.ws = workspace;
            this.steps = workspace.group ? null : pool;
            int d = config.dim();
            int inner = config.innerDim();
            float eps = CrateConfig.LAYER_NORM_EPS;
            patchify = (worker, image) -> FastEngine.this.patchify(ws, worker, images, firstImage + image, image);
            assemble = (worker, image) -> assembleTokens(ws, image);
            firstNorm = (worker, block) -> {
                FastWeights.Layer first = weights.layers.get(0);
                for (int r = blockStart(rows, block); r < blockEnd(rows, block); r++) {
                    RowOps.layerNorm(ws.z.bytes(), (long) r * d, ws.x.bytes(), (long) r * d, d, first.norm1Gamma(),
                            first.norm1Beta(), eps);
                    quantize(ws.x, r, d, qkvInputScale(0));
                }
            };
            attention = (worker, task) -> FastEngine.this.attention(ws, worker, task / config.heads(),
                    task % config.heads(), layerIndex);
            classAttention = (worker, task) -> classTokenAttention(ws, worker, task / config.heads(),
                    task % config.heads(), layerIndex);
            residualNorm = (worker, block) -> {
                for (int r = blockStart(rows, block); r < blockEnd(rows, block); r++) {
                    RowOps.add(ws.z.bytes(), (long) r * d, ws.concat.bytes(), (long) r * inner, d);
                    RowOps.layerNorm(ws.z.bytes(), (long) r * d, ws.x.bytes(), (long) r * d, d, null, null, eps);
                    quantize(ws.x, r, d, quantizer != null ? quantizer.istaInput[layerIndex] : 0f);
                }
            };
            poolTokens = (worker, image) -> poolImage(ws, image);
            embedBias = (worker, r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    RowOps.addBias(ws.x.bytes(), (long) r * d, d, weights.patchBias, false);
                }
            };
            qkvBias = (worker, r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    if (layer.qkvBias() != null) {
                        RowOps.addBias(ws.w.bytes(), (long) r * inner, inner, layer.qkvBias(), false);
                    }
                    quantize(ws.w, r, inner, quantizer != null ? quantizer.heads[layerIndex] : 0f);
                }
            };
            outBiasNorm = (worker, r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    RowOps.addBiasThenNorm(ws.z.bytes(), (long) r * d, d, layer.toOutBias(), false, ws.x.bytes(),
                            (long) r * d, null, null, eps);
                    quantize(ws.x, r, d, quantizer != null ? quantizer.istaInput[layerIndex] : 0f);
                }
            };
            istaBiasReluNorm = (worker, r0, r1) -> {
                FastWeights.Layer next = lastLayer ? null : weights.layers.get(layerIndex + 1);
                for (int r = r0; r < r1; r++) {
                    if (lastLayer) {
                        RowOps.addBias(ws.z.bytes(), (long) r * d, d, layer.istaBias(), true);
                    } else {
                        RowOps.addBiasThenNorm(ws.z.bytes(), (long) r * d, d, layer.istaBias(), true, ws.x.bytes(),
                                (long) r * d, next.norm1Gamma(), next.norm1Beta(), eps);
                        quantize(ws.x, r, d, qkvInputScale(layerIndex + 1));
                    }
                }
            };
            gemmBlock = (worker, block) -> {
                int first = blockStart(gemmRows, block);
                int end = blockEnd(gemmRows, block);
                if (end > first) {
                    ws.blas[worker].gemm(false, end - first, gemmN, gemmK, 1f, gemmA, (long) first * gemmK, gemmK,
                            gemmB, 0, gemmN, gemmBeta, gemmC, (long) first * gemmN, gemmN);
                    gemmEpilogue.apply(worker, first, end);
                }
            };
            groupPass = (worker, group) -> {
                int first = groupStart(groupBatch, groupCount, group);
                Workspace view = ws.group(first);
                Pass solo = view.pass(FastEngine.this);
                solo.soloWorker = worker;
                try {
                    solo.forward(images, first, groupStart(groupBatch, groupCount, group + 1) - first, groupLogits,
                            view.observer.of(groupObserver));
                } finally {
                    view.observer.clear();
                }
            };
        }

        /**
         * Splits the batch into {@code groups} groups of images whose sizes differ by one at most, a pass each; each
         * group's worker calls {@code observer} for its own images.
         */
        void forwardInGroups(float[] newImages, int newBatch, int groups, float[] logits, LayerObserver observer) {
            groupBatch = newBatch;
            groupCount = groups;
            for (int g = 0; g < groups; g++) {
                ws.group(groupStart(newBatch, groups, g)).pass(FastEngine.this);
            }
            images = newImages;
            groupLogits = logits;
            groupObserver = observer;
            try {
                pool.run(groups, groupPass);
            } finally {
                images = null;
                groupLogits = null;
                groupObserver = null;
            }
        }

        /**
         * The pass over images {@code first} to {@code first + count} of {@code newImages}, which this pass's workspace
         * holds from its own image 0; their logits go to the same images' place in {@code logits}.
         */
        void forward(float[] newImages, int first, int count, float[] logits, LayerObserver observer) {
            images = newImages;
            firstImage = first;
            batch = count;
            rows = count * config.tokens();
            try {
                forwardSteps(logits, observer);
            } finally {
                images = null;
                layer = null;
            }
        }

        private void forwardSteps(float[] logits, LayerObserver observer) {
            int t = config.tokens();
            int d = config.dim();
            int inner = config.innerDim();
            runSteps(batch, patchify);
            gemm(batch * config.numPatches(), d, config.patchDim(), ws.patches, weights.patch, 0f, ws.x, embedBias);
            runSteps(batch, assemble);
            runSteps(blocks(rows), firstNorm);

            boolean trace = observer.wantsLayers();
            for (int l = 0; l < config.depth(); l++) {
                boolean last = l == config.depth() - 1;
                int[] rowsWanted = trace ? wantedRows(observer, batch, l, t) : null;
                layer(weights.layers.get(l), l, last);
                gemm(rows, inner, d, ws.x, layer.qkv(), 0f, ws.w, qkvBias);
                if (last && config.pool() == Pool.CLS && classTokenOnly(rowsWanted)) {
                    classTokenLayer(rowsWanted, observer);
                    continue;
                }
                runSteps(batch * config.heads(), attention);
                if (layer.toOut() != null) {
                    gemm(rows, d, inner, ws.concat, layer.toOut(), 1f, ws.z, outBiasNorm);
                } else {
                    runSteps(blocks(rows), residualNorm);
                }
                float[][] wCopy = rowsWanted != null ? copyImages(ws, ws.w, rowsWanted, inner, 0) : null;
                float[][] zHalfCopy = rowsWanted != null ? copyImages(ws, ws.z, rowsWanted, d, 1) : null;
                gemm(rows, d, d, ws.x, layer.ista(), 0f, ws.z, istaBiasReluNorm);
                if (rowsWanted != null) {
                    handOver(observer, l, rowsWanted, wCopy, zHalfCopy, copyImages(ws, ws.z, rowsWanted, d, 2));
                }
            }

            runSteps(batch, poolTokens);
            int classes = config.numClasses();
            blas().gemm(false, batch, classes, d, 1f, ws.pooled, 0, d, weights.head, 0, classes, 0f, ws.logits, 0,
                    classes);
            for (int b = 0; b < batch; b++) {
                RowOps.addBias(ws.logits.bytes(), (long) b * classes, classes, weights.headBias, false);
            }
            ws.logits.get(0, logits, firstImage * classes, batch * classes);
        }

        /** The first image of group {@code group} of {@code groups} over {@code total} images. */
        private int groupStart(int total, int groups, int group) {
            return group * (total / groups) + Math.min(group, total % groups);
        }

        /** Runs {@code count} tasks of one step: across the pool, or one after the other on this group's worker. */
        private void runSteps(int count, WorkerPool.Task task) {
            if (steps != null) {
                steps.run(count, task);
            } else {
                for (int i = 0; i < count; i++) {
                    task.run(soloWorker, i);
                }
            }
        }

        /** The OpenBLAS handle of the thread that runs this pass's serial parts. */
        private Blas blas() {
            return ws.blas[steps != null ? 0 : soloWorker];
        }

        void layer(FastWeights.Layer current, int index, boolean last) {
            layer = current;
            layerIndex = index;
            lastLayer = last;
        }

        /**
         * The last layer when only the class token's output matters: the class token's scores, softmax and weighted
         * sum per head, then its output projection and ISTA step as products over the batch's class-token rows.
         */
        void classTokenLayer(int[] rowsWanted, LayerObserver observer) {
            int t = config.tokens();
            int d = config.dim();
            int inner = config.innerDim();
            int zStride = t * d;
            float eps = CrateConfig.LAYER_NORM_EPS;
            runSteps(batch * config.heads(), classAttention);
            Blas blas = blas();
            ByteBuffer z = ws.z.bytes();
            if (layer.toOut() != null) {
                blas.gemm(false, batch, d, inner, 1f, ws.concat, 0, t * inner, layer.toOut(), 0, d, 1f, ws.z, 0,
                        zStride);
            }
            for (int b = 0; b < batch; b++) {
                long row = (long) b * zStride;
                if (layer.toOut() != null) {
                    RowOps.addBiasThenNorm(z, row, d, layer.toOutBias(), false, ws.x.bytes(), row, null, null, eps);
                } else {
                    RowOps.add(z, row, ws.concat.bytes(), (long) b * t * inner, d);
                    RowOps.layerNorm(z, row, ws.x.bytes(), row, d, null, null, eps);
                }
                quantize(ws.x, b * t, d, quantizer != null ? quantizer.istaInput[layerIndex] : 0f);
            }
            float[][] wCopy = rowsWanted != null ? copyImages(ws, ws.w, rowsWanted, inner, 0) : null;
            float[][] zHalfCopy = rowsWanted != null ? copyImages(ws, ws.z, rowsWanted, d, 1) : null;
            blas.gemm(false, batch, d, d, 1f, ws.x, 0, zStride, layer.ista(), 0, d, 0f, ws.z, 0, zStride);
            for (int b = 0; b < batch; b++) {
                RowOps.addBias(z, (long) b * zStride, d, layer.istaBias(), true);
            }
            if (rowsWanted != null) {
                handOver(observer, layerIndex, rowsWanted, wCopy, zHalfCopy, copyImages(ws, ws.z, rowsWanted, d, 2));
            }
        }

        private float qkvInputScale(int l) {
            return quantizer != null ? quantizer.qkvInput[l] : 0f;
        }

        private void quantize(NativeFloats rowsOf, int row, int width, float scale) {
            FakeQuantizer.apply(rowsOf.bytes(), (long) row * width, width, scale);
        }

        /** {@code C[rows, n] = A[rows, k] · B[k, n] + beta·C}, row blocks in parallel, then the epilogue per block. */
        void gemm(int m, int n, int k, NativeFloats a, NativeFloats b, float beta, NativeFloats c,
                RowEpilogue epilogue) {
            gemmRows = m;
            gemmN = n;
            gemmK = k;
            gemmA = a;
            gemmB = b;
            gemmBeta = beta;
            gemmC = c;
            gemmEpilogue = epilogue;
            runSteps(blocks(m), gemmBlock);
        }

        int blocks(int count) {
            int lanes = steps != null ? steps.threads() : 1;
            return Math.max(1, Math.min(lanes, (count + MIN_ROWS_PER_BLOCK - 1) / MIN_ROWS_PER_BLOCK));
        }

        private int blockStart(int count, int block) {
            int per = (count + blocks(count) - 1) / blocks(count);
            return Math.min(count, block * per);
        }

        private int blockEnd(int count, int block) {
            int per = (count + blocks(count) - 1) / blocks(count);
            return Math.min(count, (block + 1) * per);
        }
    }

    /**
     * Patch tokens of image {@code source} of {@code images}, gathered on the heap, normalised without affine (folded
     * into the product) and copied into image {@code image}'s place in {@code patches} in one bulk write.
     */
    private void patchify(Workspace ws, int worker, float[] images, int source, int image) {
        float[] out = ws.patchScratch[worker];
        gatherPatches(images, source, out);
        normalisePatches(out);
        ws.patches.put((long) image * config.numPatches() * config.patchDim(), out, 0,
                config.numPatches() * config.patchDim());
    }

    /**
     * Rearranges one CHW image into patch rows. A method of its own, without vector code: its loops make it hot
     * after one image, and a C2 compilation that early, inlining the row kernels from a thin profile, sometimes
     * materialised a vector per row (80 bytes per patch row, in some JVM starts).
     */
    private void gatherPatches(float[] images, int image, float[] out) {
        int c = config.channels();
        int height = config.imageHeight();
        int width = config.imageWidth();
        int p1 = config.patchHeight();
        int p2 = config.patchWidth();
        int gridW = width / p2;
        int patchDim = config.patchDim();
        int base = image * c * height * width;
        int plane = height * width;
        for (int y = 0; y < height; y++) {
            int rowStart = (y / p1) * gridW * patchDim + (y % p1) * p2 * c;
            for (int ch = 0; ch < c; ch++) {
                int source = base + ch * plane + y * width;
                for (int gx = 0; gx < gridW; gx++) {
                    int at = rowStart + gx * patchDim + ch;
                    int from = source + gx * p2;
                    for (int px = 0; px < p2; px++) {
                        out[at + px * c] = images[from + px];
                    }
                }
            }
        }
    }

    /** The patch LayerNorm (and the INT8 simulation's rounding) of one image's patch rows, in place. */
    private void normalisePatches(float[] patches) {
        int patchDim = config.patchDim();
        for (int r = 0; r < config.numPatches(); r++) {
            RowOps.layerNorm(patches, r * patchDim, patchDim, CrateConfig.LAYER_NORM_EPS);
            if (quantizer != null) {
                FakeQuantizer.apply(patches, r * patchDim, patchDim, quantizer.patches);
            }
        }
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

    /**
     * One head of one image: scores, softmax, weighted sum written into its columns of {@code concat}. Heads whose
     * exponentials can share one shift go through {@link SymmetricAttention}; the rare head with a row far below that
     * shift (its exponentials would underflow) takes the general path with a shift per row.
     */
    private void attention(Workspace ws, int worker, int image, int head, int layer) {
        int t = config.tokens();
        int p = config.dimHead();
        int inner = config.innerDim();
        long offset = (long) image * t * inner + (long) head * p;
        NativeFloats scores = ws.scores[worker];
        Blas blas = ws.blas[worker];
        if (quantizer != null && quantizer.attention[layer] != 0f) {
            quantizedAttention(ws, blas, scores, offset, quantizer.attention[layer], layer);
            return;
        }
        if (!ws.attention[worker].apply(ws.w, offset, inner, scale, SHARED_SHIFT_RANGE, ws.concat)) {
            perRowShiftHeads.increment();
            int stride = ws.scoreStride;
            ByteBuffer s = scores.bytes();
            float[] sums = ws.rowSums[worker];
            blas.gemm(true, t, t, p, scale, ws.w, offset, inner, ws.w, offset, inner, 0f, scores, 0, stride);
            for (int r = 0; r < t; r++) {
                sums[r] = RowOps.softmaxNumeratorsPadded(s, (long) r * stride, t, stride);
            }
            blas.gemm(false, t, p, t, 1f, scores, 0, stride, ws.w, offset, inner, 0f, ws.concat, offset, inner);
            ByteBuffer out = ws.concat.bytes();
            for (int r = 0; r < t; r++) {
                RowOps.scale(out, offset + (long) r * inner, p, 1f / sums[r]);
            }
        }
        quantizeConcat(ws, offset, layer);
    }

    /** The class token's row of one head's attention: its scores against every token, softmax, weighted sum. */
    private void classTokenAttention(Workspace ws, int worker, int image, int head, int layer) {
        int t = config.tokens();
        int p = config.dimHead();
        int inner = config.innerDim();
        long offset = (long) image * t * inner + (long) head * p;
        NativeFloats scores = ws.scores[worker];
        Blas blas = ws.blas[worker];
        ByteBuffer s = scores.bytes();
        blas.gemm(true, 1, t, p, scale, ws.w, offset, inner, ws.w, offset, inner, 0f, scores, 0, ws.scoreStride);
        float sum = RowOps.softmaxNumeratorsPadded(s, 0, t, ws.scoreStride);
        float attentionScale = quantizer != null ? quantizer.attention[layer] : 0f;
        if (attentionScale != 0f) {
            RowOps.scale(s, 0, t, 1f / sum);
            FakeQuantizer.apply(s, 0, t, attentionScale);
            sum = 1f;
        }
        blas.gemm(false, 1, p, t, 1f, scores, 0, ws.scoreStride, ws.w, offset, inner, 0f, ws.concat, offset, inner);
        RowOps.scale(ws.concat.bytes(), offset, p, 1f / sum);
        if (quantizer != null && config.projectOut()) {
            FakeQuantizer.apply(ws.concat.bytes(), offset, p, quantizer.outInput[layer]);
        }
    }

    /** One head of the INT8 graph: the normalised attention rounded to its grid before the weighted sum. */
    private void quantizedAttention(Workspace ws, Blas blas, NativeFloats scores, long offset, float attentionScale,
            int layer) {
        int t = config.tokens();
        int p = config.dimHead();
        int inner = config.innerDim();
        int stride = ws.scoreStride;
        ByteBuffer s = scores.bytes();
        blas.gemm(true, t, t, p, scale, ws.w, offset, inner, ws.w, offset, inner, 0f, scores, 0, stride);
        for (int r = 0; r < t; r++) {
            float sum = RowOps.softmaxNumeratorsPadded(s, (long) r * stride, t, stride);
            RowOps.scale(s, (long) r * stride, t, 1f / sum);
            FakeQuantizer.apply(s, (long) r * stride, t, attentionScale);
        }
        blas.gemm(false, t, p, t, 1f, scores, 0, stride, ws.w, offset, inner, 0f, ws.concat, offset, inner);
        quantizeConcat(ws, offset, layer);
    }

    private void quantizeConcat(Workspace ws, long offset, int layer) {
        if (quantizer == null || !config.projectOut()) {
            return;
        }
        int inner = config.innerDim();
        for (int r = 0; r < config.tokens(); r++) {
            FakeQuantizer.apply(ws.concat.bytes(), offset + (long) r * inner, config.dimHead(),
                    quantizer.outInput[layer]);
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
        if (quantizer != null) {
            FakeQuantizer.apply(pooled, target, d, quantizer.headInput);
        }
    }

    /** What to do with a block of output rows right after its product, on the same worker. */
    @FunctionalInterface
    interface RowEpilogue {
        void apply(int worker, int firstRow, int endRow);
    }

    /**
     * How many rows of each image's tensors the observer wants at {@code layer}: 0, 1 (the class token) or all
     * {@code tokens}; null when it wants none.
     */
    private static int[] wantedRows(LayerObserver observer, int batch, int layer, int tokens) {
        int[] rows = new int[batch];
        boolean any = false;
        for (int b = 0; b < batch; b++) {
            if (observer.wants(b, layer)) {
                rows[b] = observer.classTokenOnly(b, layer) ? 1 : tokens;
                any = true;
            }
        }
        return any ? rows : null;
    }

    /** Whether no image wants more than its class token's row (or none is wanted at all). */
    private static boolean classTokenOnly(int[] rowsWanted) {
        if (rowsWanted != null) {
            for (int rows : rowsWanted) {
                if (rows > 1) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Copies the wanted rows of each image of {@code source} ({@code width} floats a row) into the workspace's reused
     * arrays for tensor {@code tensor} (scratch, as observers know); the result has null for the images not wanted.
     */
    private float[][] copyImages(Workspace ws, NativeFloats source, int[] rowsWanted, int width, int tensor) {
        float[][] copies = new float[rowsWanted.length][];
        for (int b = 0; b < rowsWanted.length; b++) {
            int length = rowsWanted[b] * width;
            if (length == 0) {
                continue;
            }
            float[][] reused = rowsWanted[b] == 1 ? ws.tracedClassToken[tensor] : ws.traced[tensor];
            if (reused[b] == null || reused[b].length != length) {
                reused[b] = new float[length];
            }
            source.get((long) b * config.tokens() * width, reused[b], 0, length);
            copies[b] = reused[b];
        }
        return copies;
    }

    private void handOver(LayerObserver observer, int layer, int[] rowsWanted, float[][] w, float[][] zHalf,
            float[][] zNext) {
        for (int b = 0; b < rowsWanted.length; b++) {
            if (rowsWanted[b] > 0) {
                observer.onLayer(b, layer, new LayerTensors(rowsWanted[b], config.dim(), config.heads(),
                        config.dimHead(), w[b], zHalf[b], zNext[b]));
            }
        }
    }

    /** Waits for calls in flight, then frees the threads, the workspaces and the off-heap weights. */
    @Override
    public void close() {
        long stamp = lifecycle.writeLock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lifecycle.unlockWrite(stamp);
        }
        pool.close();
        synchronized (allWorkspaces) {
            allWorkspaces.forEach(Workspace::close);
            allWorkspaces.clear();
        }
        weights.close();
    }
}
