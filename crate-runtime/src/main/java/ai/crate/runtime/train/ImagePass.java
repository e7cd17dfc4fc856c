package ai.crate.runtime.train;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.model.WeightKeys;

import java.util.Arrays;

/**
 * Forward and backward pass of one image through CRATE, keeping every activation the backward pass needs. One per
 * worker thread: it owns its scratch buffers. Gradients are of the batch-mean loss and are accumulated into the
 * worker's {@link Gradients}; the ISTA dictionary's slot receives {@code yᵀ·dg} (summed), which
 * {@link Backprop} turns into the dictionary's gradient once per batch.
 */
final class ImagePass {
    private final TrainableCrate model;
    private final CrateConfig config;
    private final int tokens;
    private final int patches;
    private final int patchDim;
    private final int dim;
    private final int inner;
    private final int heads;
    private final int headDim;
    private final int classes;
    private final float eta;
    private final float etaLambda;
    private final float scale;
    private final float eps = CrateConfig.LAYER_NORM_EPS;
    private final LayerIndex[] layers;
    private final int lowestNeeded;

    private final float[] patchValues;
    private final float[] nA;
    private final float[] rA;
    private final float[] a;
    private final float[] embedded;
    private final float[] nB;
    private final float[] rB;
    private final float[] z0;
    private final float[][] n1;
    private final float[][] r1;
    private final float[][] x1;
    private final float[][] w;
    private final float[][] attention;
    private final float[][] concat;
    private final float[][] n2;
    private final float[][] r2;
    private final float[][] y;
    private final float[][] zOut;
    private final float[] zHalf;
    private final float[] u;
    private final float[] pooled;
    private final float[] nH = new float[1];
    private final float[] hn;
    private final float[] headNorm;
    private final float[] logits;
    private final float[] dLogits;

    private final float[] dz;
    private final float[] dzHalf;
    private final float[] dg;
    private final float[] dy;
    private final float[] t;
    private final float[] dc;
    private final float[] dw;
    private final float[] dA;
    private final float[] dS;
    private final float[] dx1;
    private final float[] dHead;
    private final float[] de;
    private final float[] da;
    private final float[] rH = new float[1];

    /** Indices of one layer's parameters in the model's list. */
    private record LayerIndex(int norm1Weight, int norm1Bias, int qkv, int toOutWeight, int toOutBias, int norm2Weight,
                              int norm2Bias, int ista) {
    }

    ImagePass(TrainableCrate model) {
        this.model = model;
        this.config = model.config();
        tokens = config.tokens();
        patches = config.numPatches();
        patchDim = config.patchDim();
        dim = config.dim();
        inner = config.innerDim();
        heads = config.heads();
        headDim = config.dimHead();
        classes = config.numClasses();
        eta = config.ista();
        etaLambda = config.ista() * config.lambd();
        scale = (float) (1.0 / Math.sqrt(headDim));
        int depth = config.depth();
        layers = new LayerIndex[depth];
        for (int l = 0; l < depth; l++) {
            layers[l] = new LayerIndex(model.indexOf(WeightKeys.norm1(l) + "weight"),
                    model.indexOf(WeightKeys.norm1(l) + "bias"), model.indexOf(WeightKeys.qkv(l)),
                    model.indexOf(WeightKeys.toOut(l) + "weight"), model.indexOf(WeightKeys.toOut(l) + "bias"),
                    model.indexOf(WeightKeys.norm2(l) + "weight"), model.indexOf(WeightKeys.norm2(l) + "bias"),
                    model.indexOf(WeightKeys.ista(l)));
        }
        lowestNeeded = lowestLayerNeedingGradients();
        int td = tokens * dim;
        patchValues = new float[patches * patchDim];
        nA = new float[patches * patchDim];
        rA = new float[patches];
        a = new float[patches * patchDim];
        embedded = new float[patches * dim];
        nB = new float[patches * dim];
        rB = new float[patches];
        z0 = new float[td];
        n1 = new float[depth][td];
        r1 = new float[depth][tokens];
        x1 = new float[depth][td];
        w = new float[depth][tokens * inner];
        attention = new float[depth][heads * tokens * tokens];
        concat = new float[depth][tokens * inner];
        n2 = new float[depth][td];
        r2 = new float[depth][tokens];
        y = new float[depth][td];
        zOut = new float[depth][td];
        zHalf = new float[td];
        u = new float[td];
        pooled = new float[dim];
        hn = new float[dim];
        headNorm = new float[dim];
        logits = new float[classes];
        dLogits = new float[classes];
        dz = new float[td];
        dzHalf = new float[td];
        dg = new float[td];
        dy = new float[td];
        t = new float[td];
        dc = new float[tokens * inner];
        dw = new float[tokens * inner];
        dA = new float[tokens * tokens];
        dS = new float[tokens * tokens];
        dx1 = new float[td];
        dHead = new float[dim];
        de = new float[patches * dim];
        da = new float[patches * patchDim];
    }

    /** The layer below which no parameter is trained (-1: the embedding is trained too), where backward may stop. */
    private int lowestLayerNeedingGradients() {
        for (Parameter p : model.parameters()) {
            if (p.trainable() && !p.name().startsWith("transformer.") && !p.name().startsWith("mlp_head.")) {
                return -1;
            }
        }
        for (int l = 0; l < layers.length; l++) {
            for (Parameter p : model.parameters()) {
                if (p.trainable() && p.name().startsWith(WeightKeys.layer(l))) {
                    return l;
                }
            }
        }
        return layers.length;
    }

    private float[] value(int index) {
        return model.parameters().get(index).values();
    }

    private float[] value(String name) {
        return model.values(name);
    }

    /** The logits of image {@code image} of {@code images} ({@code [B, C, H, W]}), into {@code out} at {@code offset}. */
    void logits(float[] images, int image, float[] out, int offset) {
        forward(images, image);
        System.arraycopy(logits, 0, out, offset, classes);
    }

    /**
     * Forward and backward for one image with label {@code label}; adds {@code weight}·∂loss/∂θ to {@code grads}.
     *
     * @return the image's loss (unweighted); {@link #predicted()} then gives its arg-max class
     */
    double train(float[] images, int image, int label, float smoothing, float weight, Gradients grads) {
        forward(images, image);
        double loss = lossGradient(label, smoothing, weight);
        backward(grads);
        return loss;
    }

    int predicted() {
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (logits[c] > logits[best]) {
                best = c;
            }
        }
        return best;
    }

    private void forward(float[] images, int image) {
        extractPatches(images, image);
        layerNorm(patchValues, patches, patchDim, value(WeightKeys.PATCH_NORM + "weight"),
                value(WeightKeys.PATCH_NORM + "bias"), nA, rA, a);
        Gemm.mm(false, true, patches, dim, patchDim, 1f, a, 0, patchDim, value(WeightKeys.PATCH_LINEAR + "weight"), 0,
                patchDim, 0f, embedded, 0, dim);
        addRowBias(embedded, patches, dim, value(WeightKeys.PATCH_LINEAR + "bias"));
        layerNorm(embedded, patches, dim, value(WeightKeys.EMBED_NORM + "weight"),
                value(WeightKeys.EMBED_NORM + "bias"), nB, rB, z0, dim);
        float[] cls = value(WeightKeys.CLS_TOKEN);
        float[] pos = value(WeightKeys.POS_EMBEDDING);
        System.arraycopy(cls, 0, z0, 0, dim);
        for (int i = 0; i < tokens * dim; i++) {
            z0[i] += pos[i];
        }
        float[] z = z0;
        for (int l = 0; l < layers.length; l++) {
            layerForward(l, z);
            z = zOut[l];
        }
        pool(z);
        layerNorm(pooled, 1, dim, value(WeightKeys.HEAD_NORM + "weight"), value(WeightKeys.HEAD_NORM + "bias"),
                headNorm, rH, hn);
        float[] head = value(WeightKeys.HEAD_LINEAR + "weight");
        float[] bias = value(WeightKeys.HEAD_LINEAR + "bias");
        for (int c = 0; c < classes; c++) {
            double sum = bias[c];
            for (int j = 0; j < dim; j++) {
                sum += (double) head[c * dim + j] * hn[j];
            }
            logits[c] = (float) sum;
        }
    }

    private void layerForward(int l, float[] z) {
        LayerIndex p = layers[l];
        layerNorm(z, tokens, dim, value(p.norm1Weight), value(p.norm1Bias), n1[l], r1[l], x1[l]);
        Gemm.mm(false, true, tokens, inner, dim, 1f, x1[l], 0, dim, value(p.qkv), 0, dim, 0f, w[l], 0, inner);
        int tt = tokens * tokens;
        for (int k = 0; k < heads; k++) {
            Gemm.mm(false, true, tokens, tokens, headDim, scale, w[l], k * headDim, inner, w[l], k * headDim, inner,
                    0f, attention[l], k * tt, tokens);
            softmaxRows(attention[l], k * tt);
            Gemm.mm(false, false, tokens, headDim, tokens, 1f, attention[l], k * tt, tokens, w[l], k * headDim, inner,
                    0f, concat[l], k * headDim, inner);
        }
        System.arraycopy(z, 0, zHalf, 0, tokens * dim);
        if (p.toOutWeight >= 0) {
            Gemm.mm(false, true, tokens, dim, inner, 1f, concat[l], 0, inner, value(p.toOutWeight), 0, inner, 1f,
                    zHalf, 0, dim);
            addRowBias(zHalf, tokens, dim, value(p.toOutBias));
        } else {
            for (int i = 0; i < tokens * dim; i++) {
                zHalf[i] += concat[l][i];
            }
        }
        layerNorm(zHalf, tokens, dim, value(p.norm2Weight), value(p.norm2Bias), n2[l], r2[l], y[l]);
        float[] dictionary = value(p.ista);
        float[] out = zOut[l];
        Gemm.mm(false, true, tokens, dim, dim, 1f, y[l], 0, dim, dictionary, 0, dim, 0f, u, 0, dim);
        System.arraycopy(y[l], 0, out, 0, tokens * dim);
        Gemm.mm(false, false, tokens, dim, dim, eta, y[l], 0, dim, dictionary, 0, dim, 1f, out, 0, dim);
        Gemm.mm(false, false, tokens, dim, dim, -eta, u, 0, dim, dictionary, 0, dim, 1f, out, 0, dim);
        for (int i = 0; i < tokens * dim; i++) {
            float g = out[i] - etaLambda;
            out[i] = g > 0 ? g : 0f;
        }
    }

    private void pool(float[] z) {
        if (config.pool() == Pool.CLS) {
            System.arraycopy(z, 0, pooled, 0, dim);
            return;
        }
        for (int j = 0; j < dim; j++) {
            double sum = 0;
            for (int i = 0; i < tokens; i++) {
                sum += z[i * dim + j];
            }
            pooled[j] = (float) (sum / tokens);
        }
    }

    /** Cross-entropy with label smoothing (as {@code F.cross_entropy(..., label_smoothing=s)}) and its gradient. */
    private double lossGradient(int label, float smoothing, float weight) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        double logSum = max + Math.log(sum);
        double loss = 0;
        for (int c = 0; c < classes; c++) {
            double logP = logits[c] - logSum;
            double target = (c == label ? 1.0 - smoothing : 0.0) + smoothing / classes;
            loss -= target * logP;
            dLogits[c] = (float) ((Math.exp(logP) - target) * weight);
        }
        return loss;
    }

    private void backward(Gradients grads) {
        float[] head = value(WeightKeys.HEAD_LINEAR + "weight");
        float[] gHead = grads.get(model.indexOf(WeightKeys.HEAD_LINEAR + "weight"));
        float[] gHeadBias = grads.get(model.indexOf(WeightKeys.HEAD_LINEAR + "bias"));
        Arrays.fill(dHead, 0f);
        for (int c = 0; c < classes; c++) {
            float dl = dLogits[c];
            gHeadBias[c] += dl;
            for (int j = 0; j < dim; j++) {
                gHead[c * dim + j] += dl * hn[j];
                dHead[j] += dl * head[c * dim + j];
            }
        }
        float[] dPooled = new float[dim];
        layerNormBackward(dHead, headNorm, rH, 1, dim, value(WeightKeys.HEAD_NORM + "weight"),
                grads.get(model.indexOf(WeightKeys.HEAD_NORM + "weight")),
                grads.get(model.indexOf(WeightKeys.HEAD_NORM + "bias")), dPooled, false);
        Arrays.fill(dz, 0f);
        if (config.pool() == Pool.CLS) {
            System.arraycopy(dPooled, 0, dz, 0, dim);
        } else {
            for (int i = 0; i < tokens; i++) {
                for (int j = 0; j < dim; j++) {
                    dz[i * dim + j] = dPooled[j] / tokens;
                }
            }
        }
        for (int l = layers.length - 1; l >= 0; l--) {
            if (l < lowestNeeded) {
                return;
            }
            layerBackward(l, grads);
        }
        if (lowestNeeded >= 0) {
            return;
        }
        embeddingBackward(grads);
    }

    /** On entry {@link #dz} holds ∂loss/∂(layer output); on exit ∂loss/∂(layer input). */
    private void layerBackward(int l, Gradients grads) {
        LayerIndex p = layers[l];
        int td = tokens * dim;
        float[] out = zOut[l];
        for (int i = 0; i < td; i++) {
            dg[i] = out[i] > 0 ? dz[i] : 0f;
        }
        float[] dictionary = value(p.ista);
        Gemm.mm(false, true, tokens, dim, dim, 1f, dg, 0, dim, dictionary, 0, dim, 0f, t, 0, dim);
        for (int i = 0; i < td; i++) {
            dy[i] = dg[i] + eta * t[i];
        }
        Gemm.mm(false, false, tokens, dim, dim, -eta, t, 0, dim, dictionary, 0, dim, 1f, dy, 0, dim);
        Gemm.mm(true, false, dim, dim, tokens, 1f, y[l], 0, dim, dg, 0, dim, 1f, grads.get(p.ista), 0, dim);
        layerNormBackward(dy, n2[l], r2[l], tokens, dim, value(p.norm2Weight), grads.get(p.norm2Weight),
                grads.get(p.norm2Bias), dzHalf, false);

        if (p.toOutWeight >= 0) {
            Gemm.mm(true, false, dim, inner, tokens, 1f, dzHalf, 0, dim, concat[l], 0, inner, 1f,
                    grads.get(p.toOutWeight), 0, inner);
            addColumnSums(dzHalf, tokens, dim, grads.get(p.toOutBias));
            Gemm.mm(false, false, tokens, inner, dim, 1f, dzHalf, 0, dim, value(p.toOutWeight), 0, inner, 0f, dc, 0,
                    inner);
        } else {
            System.arraycopy(dzHalf, 0, dc, 0, td);
        }
        int tt = tokens * tokens;
        float[] wl = w[l];
        float[] attn = attention[l];
        for (int k = 0; k < heads; k++) {
            int col = k * headDim;
            Gemm.mm(false, true, tokens, tokens, headDim, 1f, dc, col, inner, wl, col, inner, 0f, dA, 0, tokens);
            Gemm.mm(true, false, tokens, headDim, tokens, 1f, attn, k * tt, tokens, dc, col, inner, 0f, dw, col,
                    inner);
            for (int i = 0; i < tokens; i++) {
                int row = i * tokens;
                double dot = 0;
                for (int j = 0; j < tokens; j++) {
                    dot += (double) dA[row + j] * attn[k * tt + row + j];
                }
                float d = (float) dot;
                for (int j = 0; j < tokens; j++) {
                    dS[row + j] = attn[k * tt + row + j] * (dA[row + j] - d);
                }
            }
            Gemm.mm(false, false, tokens, headDim, tokens, scale, dS, 0, tokens, wl, col, inner, 1f, dw, col, inner);
            Gemm.mm(true, false, tokens, headDim, tokens, scale, dS, 0, tokens, wl, col, inner, 1f, dw, col, inner);
        }
        Gemm.mm(true, false, inner, dim, tokens, 1f, dw, 0, inner, x1[l], 0, dim, 1f, grads.get(p.qkv), 0, dim);
        Gemm.mm(false, false, tokens, dim, inner, 1f, dw, 0, inner, value(p.qkv), 0, dim, 0f, dx1, 0, dim);
        System.arraycopy(dzHalf, 0, dz, 0, td);
        layerNormBackward(dx1, n1[l], r1[l], tokens, dim, value(p.norm1Weight), grads.get(p.norm1Weight),
                grads.get(p.norm1Bias), dz, true);
    }

    private void embeddingBackward(Gradients grads) {
        float[] gCls = grads.get(model.indexOf(WeightKeys.CLS_TOKEN));
        float[] gPos = grads.get(model.indexOf(WeightKeys.POS_EMBEDDING));
        for (int j = 0; j < dim; j++) {
            gCls[j] += dz[j];
        }
        for (int i = 0; i < tokens * dim; i++) {
            gPos[i] += dz[i];
        }
        float[] dh = Arrays.copyOfRange(dz, dim, tokens * dim);
        layerNormBackward(dh, nB, rB, patches, dim, value(WeightKeys.EMBED_NORM + "weight"),
                grads.get(model.indexOf(WeightKeys.EMBED_NORM + "weight")),
                grads.get(model.indexOf(WeightKeys.EMBED_NORM + "bias")), de, false);
        Gemm.mm(true, false, dim, patchDim, patches, 1f, de, 0, dim, a, 0, patchDim, 1f,
                grads.get(model.indexOf(WeightKeys.PATCH_LINEAR + "weight")), 0, patchDim);
        addColumnSums(de, patches, dim, grads.get(model.indexOf(WeightKeys.PATCH_LINEAR + "bias")));
        Gemm.mm(false, false, patches, patchDim, dim, 1f, de, 0, dim, value(WeightKeys.PATCH_LINEAR + "weight"), 0,
                patchDim, 0f, da, 0, patchDim);
        float[] gGamma = grads.get(model.indexOf(WeightKeys.PATCH_NORM + "weight"));
        float[] gBeta = grads.get(model.indexOf(WeightKeys.PATCH_NORM + "bias"));
        for (int i = 0; i < patches; i++) {
            for (int j = 0; j < patchDim; j++) {
                float d = da[i * patchDim + j];
                gGamma[j] += d * nA[i * patchDim + j];
                gBeta[j] += d;
            }
        }
    }

    private void extractPatches(float[] images, int image) {
        int c = config.channels();
        int height = config.imageHeight();
        int width = config.imageWidth();
        int p1 = config.patchHeight();
        int p2 = config.patchWidth();
        int gridWidth = width / p2;
        int base = image * c * height * width;
        for (int gy = 0; gy < height / p1; gy++) {
            for (int gx = 0; gx < gridWidth; gx++) {
                int patch = (gy * gridWidth + gx) * patchDim;
                for (int py = 0; py < p1; py++) {
                    for (int px = 0; px < p2; px++) {
                        for (int ch = 0; ch < c; ch++) {
                            patchValues[patch + (py * p2 + px) * c + ch] =
                                    images[base + (ch * height + gy * p1 + py) * width + gx * p2 + px];
                        }
                    }
                }
            }
        }
    }

    private void layerNorm(float[] x, int rows, int cols, float[] gamma, float[] beta, float[] normalised,
                           float[] rstd, float[] out) {
        layerNorm(x, rows, cols, gamma, beta, normalised, rstd, out, 0);
    }

    /** LayerNorm of {@code rows} rows; statistics in double. Writes n, 1/σ and the affine output (from outOffset). */
    private void layerNorm(float[] x, int rows, int cols, float[] gamma, float[] beta, float[] normalised,
                           float[] rstd, float[] out, int outOffset) {
        for (int i = 0; i < rows; i++) {
            int at = i * cols;
            double mean = 0;
            for (int j = 0; j < cols; j++) {
                mean += x[at + j];
            }
            mean /= cols;
            double variance = 0;
            for (int j = 0; j < cols; j++) {
                double d = x[at + j] - mean;
                variance += d * d;
            }
            variance /= cols;
            double r = 1.0 / Math.sqrt(variance + eps);
            rstd[i] = (float) r;
            for (int j = 0; j < cols; j++) {
                float n = (float) ((x[at + j] - mean) * r);
                normalised[at + j] = n;
                out[outOffset + at + j] = n * gamma[j] + beta[j];
            }
        }
    }

    /**
     * LayerNorm backward: adds Σ dy∘n to {@code gGamma} and Σ dy to {@code gBeta}, and writes (or, with
     * {@code accumulate}, adds) ∂loss/∂x to {@code dx}.
     */
    private static void layerNormBackward(float[] dy, float[] normalised, float[] rstd, int rows, int cols,
                                          float[] gamma, float[] gGamma, float[] gBeta, float[] dx,
                                          boolean accumulate) {
        for (int i = 0; i < rows; i++) {
            int at = i * cols;
            double meanDn = 0;
            double meanDnN = 0;
            for (int j = 0; j < cols; j++) {
                float g = dy[at + j];
                float n = normalised[at + j];
                gGamma[j] += g * n;
                gBeta[j] += g;
                double dn = (double) g * gamma[j];
                meanDn += dn;
                meanDnN += dn * n;
            }
            meanDn /= cols;
            meanDnN /= cols;
            double r = rstd[i];
            for (int j = 0; j < cols; j++) {
                double dn = (double) dy[at + j] * gamma[j];
                float value = (float) (r * (dn - meanDn - normalised[at + j] * meanDnN));
                dx[at + j] = accumulate ? dx[at + j] + value : value;
            }
        }
    }

    private void softmaxRows(float[] x, int offset) {
        for (int i = 0; i < tokens; i++) {
            int at = offset + i * tokens;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < tokens; j++) {
                max = Math.max(max, x[at + j]);
            }
            double sum = 0;
            for (int j = 0; j < tokens; j++) {
                float e = (float) Math.exp(x[at + j] - max);
                x[at + j] = e;
                sum += e;
            }
            float inverse = (float) (1.0 / sum);
            for (int j = 0; j < tokens; j++) {
                x[at + j] *= inverse;
            }
        }
    }

    private static void addRowBias(float[] x, int rows, int cols, float[] bias) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                x[i * cols + j] += bias[j];
            }
        }
    }

    private static void addColumnSums(float[] x, int rows, int cols, float[] into) {
        for (int j = 0; j < cols; j++) {
            double sum = 0;
            for (int i = 0; i < rows; i++) {
                sum += x[i * cols + j];
            }
            into[j] += (float) sum;
        }
    }
}
