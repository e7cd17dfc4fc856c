package ai.crate.runtime.engine;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.model.CrateWeights;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The spec's forward pass op for op in plain float32 Java: the oracle every faster engine is tested against, so
 * clarity wins over speed. Images of a batch run in parallel on the engine's own threads, each with its own scratch,
 * so one instance may be shared by several threads.
 */
public final class ReferenceEngine implements CrateEngine {
    public static final String NAME = "reference";

    private final CrateConfig config;
    private final ReferenceWeights weights;
    private final ExecutorService pool;

    public ReferenceEngine(CrateWeights weights, EngineOptions options) {
        this.config = weights.config();
        this.weights = new ReferenceWeights(weights);
        AtomicInteger counter = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(options.threads(), runnable -> {
            Thread thread = new Thread(runnable, "crate-reference-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
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
        ImageBatches.requireShape(config, images, batch);
        float[] logits = new float[batch * config.numClasses()];
        List<Future<?>> tasks = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            int image = b;
            tasks.add(pool.submit(() -> forwardImage(images, image, observer, logits)));
        }
        for (Future<?> task : tasks) {
            try {
                task.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                tasks.forEach(t -> t.cancel(true));
                throw new IllegalStateException("interrupted during a forward pass", e);
            } catch (ExecutionException e) {
                tasks.forEach(t -> t.cancel(true));
                if (e.getCause() instanceof RuntimeException) {
                    throw (RuntimeException) e.getCause();
                }
                throw new IllegalStateException("forward pass failed", e.getCause());
            }
        }
        return logits;
    }

    private void forwardImage(float[] images, int image, LayerObserver observer, float[] logits) {
        int t = config.tokens();
        int n = config.numPatches();
        int d = config.dim();
        int heads = config.heads();
        int p = config.dimHead();
        int inner = config.innerDim();
        float eps = CrateConfig.LAYER_NORM_EPS;

        float[] patches = ImageBatches.patches(config, images, image);
        FloatOps.layerNorm(patches, n, config.patchDim(), weights.patchNormWeight, weights.patchNormBias, eps,
                patches);
        float[] embedded = new float[n * d];
        FloatOps.multiply(patches, n, config.patchDim(), weights.patchLinearT, d, embedded);
        FloatOps.addBias(embedded, n, d, weights.patchLinearBias);
        FloatOps.layerNorm(embedded, n, d, weights.embedNormWeight, weights.embedNormBias, eps, embedded);

        float[] z = new float[t * d];
        System.arraycopy(weights.clsToken, 0, z, 0, d);
        System.arraycopy(embedded, 0, z, d, n * d);
        for (int i = 0; i < t * d; i++) {
            z[i] += weights.posEmbedding[i];
        }

        float[] x = new float[t * d];
        float[] w = new float[t * inner];
        float[] head = new float[t * p];
        float[] headT = new float[p * t];
        float[] scores = new float[t * t];
        float[] attended = new float[t * p];
        float[] concat = new float[t * inner];
        float[] projected = new float[t * d];
        float[] zHalf = new float[t * d];
        float[] y = new float[t * d];
        float[] x1 = new float[t * d];
        float[] grad1 = new float[t * d];
        float[] grad2 = new float[t * d];
        float scale = (float) Math.pow(p, -0.5);
        float step = config.ista();
        float stepLambda = (float) ((double) config.ista() * config.lambd());

        for (int l = 0; l < config.depth(); l++) {
            if (Thread.currentThread().isInterrupted()) {
                throw new IllegalStateException("forward pass cancelled");
            }
            ReferenceWeights.Layer layer = weights.layers.get(l);
            FloatOps.layerNorm(z, t, d, layer.norm1Weight(), layer.norm1Bias(), eps, x);
            FloatOps.multiply(x, t, d, layer.qkvT(), inner, w);
            for (int k = 0; k < heads; k++) {
                for (int r = 0; r < t; r++) {
                    System.arraycopy(w, r * inner + k * p, head, r * p, p);
                }
                FloatOps.transposeInto(head, t, p, headT);
                FloatOps.multiply(head, t, p, headT, t, scores);
                for (int i = 0; i < t * t; i++) {
                    scores[i] *= scale;
                }
                FloatOps.softmaxRows(scores, t, t);
                FloatOps.multiply(scores, t, t, head, p, attended);
                for (int r = 0; r < t; r++) {
                    System.arraycopy(attended, r * p, concat, r * inner + k * p, p);
                }
            }
            if (layer.toOutT() != null) {
                FloatOps.multiply(concat, t, inner, layer.toOutT(), d, projected);
                FloatOps.addBias(projected, t, d, layer.toOutBias());
            } else {
                System.arraycopy(concat, 0, projected, 0, t * d);
            }
            for (int i = 0; i < t * d; i++) {
                zHalf[i] = projected[i] + z[i];
            }

            FloatOps.layerNorm(zHalf, t, d, layer.norm2Weight(), layer.norm2Bias(), eps, y);
            FloatOps.multiply(y, t, d, layer.dictionaryT(), d, x1);
            FloatOps.multiply(x1, t, d, layer.dictionary(), d, grad1);
            FloatOps.multiply(y, t, d, layer.dictionary(), d, grad2);
            for (int i = 0; i < t * d; i++) {
                float update = step * (grad2[i] - grad1[i]) - stepLambda;
                z[i] = Math.max(0f, y[i] + update);
            }
            if (observer.wantsLayers()) {
                observer.onLayer(image, l, new LayerTensors(t, d, heads, p, w, zHalf, z));
            }
        }

        float[] pooled = new float[d];
        if (config.pool() == Pool.CLS) {
            System.arraycopy(z, 0, pooled, 0, d);
        } else {
            for (int c = 0; c < d; c++) {
                double sum = 0;
                for (int r = 0; r < t; r++) {
                    sum += z[r * d + c];
                }
                pooled[c] = (float) (sum / t);
            }
        }
        FloatOps.layerNorm(pooled, 1, d, weights.headNormWeight, weights.headNormBias, eps, pooled);
        float[] out = new float[config.numClasses()];
        FloatOps.multiply(pooled, 1, d, weights.headT, config.numClasses(), out);
        FloatOps.addBias(out, 1, config.numClasses(), weights.headBias);
        System.arraycopy(out, 0, logits, image * config.numClasses(), config.numClasses());
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
