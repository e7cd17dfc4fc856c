package ai.crate.calibration;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.engine.FloatOps;
import ai.crate.runtime.engine.LayerTensors;
import ai.crate.runtime.model.CrateWeights;

/**
 * Recomputes, from what a {@link ai.crate.runtime.engine.LayerObserver} receives, the intermediate tensors of a layer
 * that engines do not hand out: each head's attention, the heads' concatenated output, the layer's input, and the
 * plain (affine-free) LayerNorms the fused graph multiplies. Not thread-safe: one per thread.
 */
public final class LayerActivations {
    private final CrateConfig config;
    private final CrateWeights weights;
    private final float scale;
    private final float[] head;
    private final float[] headT;
    private final float[] attended;

    public LayerActivations(CrateWeights weights) {
        this.config = weights.config();
        this.weights = weights;
        this.scale = (float) Math.pow(config.dimHead(), -0.5);
        int t = config.tokens();
        int p = config.dimHead();
        head = new float[t * p];
        headT = new float[p * t];
        attended = new float[t * p];
    }

    /** {@code softmax(scale·w_k·w_kᵀ)} of head {@code k} into {@code out [tokens, tokens]}. */
    public void attention(LayerTensors tensors, int k, float[] out) {
        int t = config.tokens();
        int p = config.dimHead();
        int inner = config.innerDim();
        for (int r = 0; r < t; r++) {
            System.arraycopy(tensors.w(), r * inner + k * p, head, r * p, p);
        }
        FloatOps.transposeInto(head, t, p, headT);
        FloatOps.multiply(head, t, p, headT, t, out);
        for (int i = 0; i < t * t; i++) {
            out[i] *= scale;
        }
        FloatOps.softmaxRows(out, t, t);
    }

    /** Head {@code k}'s output {@code attention·w_k} written into its columns of {@code concat [tokens, K·p]}. */
    void attendInto(LayerTensors tensors, int k, float[] attention, float[] concat) {
        int t = config.tokens();
        int p = config.dimHead();
        int inner = config.innerDim();
        for (int r = 0; r < t; r++) {
            System.arraycopy(tensors.w(), r * inner + k * p, head, r * p, p);
        }
        FloatOps.multiply(attention, t, t, head, p, attended);
        for (int r = 0; r < t; r++) {
            System.arraycopy(attended, r * p, concat, r * inner + k * p, p);
        }
    }

    /** The layer's input {@code z = z_half − to_out(concat)}, for the first layer, whose input no observer sees. */
    void layerInput(int layer, LayerTensors tensors, float[] concat, float[] out) {
        int t = config.tokens();
        int d = config.dim();
        CrateWeights.Layer weightsOf = weights.layers().get(layer);
        if (weightsOf.toOutWeight() != null) {
            FloatOps.multiply(concat, t, config.innerDim(), weightsOf.toOutWeight().transposedMatrix(), d, out);
            FloatOps.addBias(out, t, d, weightsOf.toOutBias().toArray());
        } else {
            System.arraycopy(concat, 0, out, 0, t * d);
        }
        for (int i = 0; i < t * d; i++) {
            out[i] = tensors.zHalf()[i] - out[i];
        }
    }

    /** LayerNorm without affine of {@code rows} rows of {@code width}, as the fused graph's product inputs. */
    static void plainNorm(float[] in, int rows, int width, float[] out) {
        FloatOps.layerNorm(in, rows, width, null, null, CrateConfig.LAYER_NORM_EPS, out);
    }

    /** The head's input: the pooled token (cls or mean) of the last layer's output, plain-normalised. */
    float[] headInput(float[] zLast) {
        int t = config.tokens();
        int d = config.dim();
        float[] pooled = new float[d];
        if (config.pool() == Pool.CLS) {
            System.arraycopy(zLast, 0, pooled, 0, d);
        } else {
            for (int c = 0; c < d; c++) {
                double sum = 0;
                for (int r = 0; r < t; r++) {
                    sum += zLast[r * d + c];
                }
                pooled[c] = (float) (sum / t);
            }
        }
        plainNorm(pooled, 1, d, pooled);
        return pooled;
    }
}
