package ai.crate.runtime.engine.fast;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.model.Folds;
import ai.crate.runtime.model.WeightKeys;
import ai.crate.runtime.quant.Int8;
import ai.crate.runtime.quant.QuantPoint;
import ai.crate.runtime.quant.QuantizationTable;
import ai.crate.runtime.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The fast engine's weights: the LayerNorm affines before the patch embedding, the ISTA step and the head are folded
 * into their products, the ISTA step is one matrix {@code diag(γ₂)·(I + η(D − DᵀD))} with bias {@code β₂·M − ηλ},
 * and all matrices live off-heap in {@code [in, out]} layout for OpenBLAS. The embedding LayerNorm keeps its affine
 * (the position embedding follows it, not a product), and so does LN1: applied in the norm pass that writes the
 * projection's input anyway, it costs nothing, whereas folded it would leave a bias to add to every row of {@code w}.
 * With a {@link QuantizationTable}, LN1 is folded too (the INT8 graph quantizes the affine-free norm), and the product
 * weights of every quantized layer are replaced by their per-column INT8 quantization, dequantized: what the INT8
 * graph multiplies by.
 */
final class FastWeights implements AutoCloseable {
    /**
     * One layer: LN1's affine (null when folded), projection {@code [d, K·p]} and its bias (null unless LN1 is
     * folded), output projection {@code [K·p, d]} (or null), ISTA {@code [d, d]}.
     */
    record Layer(float[] norm1Gamma, float[] norm1Beta, NativeFloats qkv, float[] qkvBias, NativeFloats toOut,
            float[] toOutBias, NativeFloats ista, float[] istaBias) {
    }

    final NativeFloats patch;
    final float[] patchBias;
    final float[] embedGamma;
    final float[] embedBeta;
    final float[] clsToken;
    final float[] posEmbedding;
    final List<Layer> layers;
    final NativeFloats head;
    final float[] headBias;
    private final List<NativeFloats> blocks = new ArrayList<>();

    FastWeights(CrateWeights weights, QuantizationTable quantization) {
        CrateConfig config = weights.config();
        int d = config.dim();
        int inner = config.innerDim();
        Folds.Affine patchFold = foldLinear(weights, WeightKeys.PATCH_NORM, WeightKeys.PATCH_LINEAR);
        patch = keep(NativeFloats.of(product(patchFold.weight(), config.patchDim(), d, QuantPoint.EMBEDDING,
                quantization)));
        patchBias = patchFold.bias();
        embedGamma = weights.get(WeightKeys.EMBED_NORM + "weight").toArray();
        embedBeta = weights.get(WeightKeys.EMBED_NORM + "bias").toArray();
        clsToken = weights.clsToken().toArray();
        posEmbedding = weights.posEmbedding().toArray();
        Layer[] folded = new Layer[config.depth()];
        IntStream.range(0, config.depth()).forEach(l -> {
            CrateWeights.Layer layer = weights.layers().get(l);
            float[] gamma1 = layer.norm1Weight().toArray();
            float[] beta1 = layer.norm1Bias().toArray();
            boolean foldNorm1 = quantization != null;
            Folds.Affine qkv = foldNorm1 ? Folds.foldLayerNorm(gamma1, beta1,
                    Folds.transposed(layer.qkv().toArray(), inner, d), d, inner, null, 0)
                    : new Folds.Affine(layer.qkv().transposedMatrix(), null, d, inner);
            NativeFloats toOut = null;
            float[] toOutBias = null;
            if (layer.toOutWeight() != null) {
                toOut = NativeFloats.of(product(layer.toOutWeight().transposedMatrix(), inner, d, l, quantization));
                toOutBias = layer.toOutBias().toArray();
            }
            double[] m = Folds.istaMatrix(layer.ista().toArray(), d, config.ista());
            Folds.Affine ista = Folds.foldLayerNorm(layer.norm2Weight().toArray(), layer.norm2Bias().toArray(), m, d, d,
                    null, (double) config.ista() * config.lambd());
            folded[l] = new Layer(foldNorm1 ? null : gamma1, foldNorm1 ? null : beta1,
                    NativeFloats.of(product(qkv.weight(), d, inner, l, quantization)), qkv.bias(), toOut,
                    toOutBias, NativeFloats.of(product(ista.weight(), d, d, l, quantization)), ista.bias());
        });
        List<Layer> list = new ArrayList<>();
        for (Layer layer : folded) {
            keep(layer.qkv());
            keep(layer.ista());
            if (layer.toOut() != null) {
                keep(layer.toOut());
            }
            list.add(layer);
        }
        layers = List.copyOf(list);
        Folds.Affine headFold = foldLinear(weights, WeightKeys.HEAD_NORM, WeightKeys.HEAD_LINEAR);
        head = keep(NativeFloats.of(product(headFold.weight(), d, config.numClasses(), config.depth(),
                quantization)));
        headBias = headFold.bias();
    }

    /**
     * Multiply-adds per image that this folded form really performs without a layer observer: the scores are
     * symmetric, so half of them are computed; with class-token pooling the last layer projects every token but
     * attends, projects out and steps ISTA for the class token alone.
     */
    public static long multiplyAdds(CrateConfig config) {
        long t = config.tokens();
        long d = config.dim();
        long inner = config.innerDim();
        long out = config.projectOut() ? inner * d : 0;
        long perLayer = t * d * inner + 3 * t * t * inner / 2 + t * d * d + t * out;
        long lastLayer = config.pool() == Pool.CLS ? t * d * inner + 2 * t * inner + d * d + out : perLayer;
        return (long) config.numPatches() * config.patchDim() * d + (config.depth() - 1) * perLayer + lastLayer
                + d * config.numClasses();
    }

    /** A product's {@code [in, out]} weight as the engine multiplies by it: float, or fake-quantized per column. */
    private static float[] product(float[] weight, int in, int out, int layer, QuantizationTable quantization) {
        return quantization != null && quantization.quantizesLayer(layer) ? Int8.fakeQuantizeColumns(weight, in, out)
                : weight;
    }

    private static Folds.Affine foldLinear(CrateWeights weights, String normPrefix, String linearPrefix) {
        Tensor linear = weights.get(linearPrefix + "weight");
        int out = linear.dim(0);
        int in = linear.dim(1);
        return Folds.foldLayerNorm(weights.get(normPrefix + "weight").toArray(), weights.get(normPrefix + "bias")
                .toArray(), Folds.transposed(linear.toArray(), out, in), in, out,
                weights.get(linearPrefix + "bias").toArray(), 0);
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
