package ai.crate.runtime.engine;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.model.WeightKeys;
import ai.crate.runtime.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The reference engine's copy of the weights as heap arrays, every {@code Linear} weight stored transposed
 * ([in, out]) so products run as contiguous row updates. The ISTA dictionary is kept both as stored and transposed,
 * since the spec multiplies by both.
 */
final class ReferenceWeights {
    /** One layer: LN1, the projection U (transposed), the output projection (transposed, or null), LN2, D and Dᵀ. */
    record Layer(float[] norm1Weight, float[] norm1Bias, float[] qkvT, float[] toOutT, float[] toOutBias,
            float[] norm2Weight, float[] norm2Bias, float[] dictionary, float[] dictionaryT) {
    }

    final float[] patchNormWeight;
    final float[] patchNormBias;
    final float[] patchLinearT;
    final float[] patchLinearBias;
    final float[] embedNormWeight;
    final float[] embedNormBias;
    final float[] clsToken;
    final float[] posEmbedding;
    final List<Layer> layers;
    final float[] headNormWeight;
    final float[] headNormBias;
    final float[] headT;
    final float[] headBias;

    ReferenceWeights(CrateWeights weights) {
        CrateConfig config = weights.config();
        int d = config.dim();
        patchNormWeight = array(weights.get(WeightKeys.PATCH_NORM + "weight"));
        patchNormBias = array(weights.get(WeightKeys.PATCH_NORM + "bias"));
        patchLinearT = transposed(weights.get(WeightKeys.PATCH_LINEAR + "weight"));
        patchLinearBias = array(weights.get(WeightKeys.PATCH_LINEAR + "bias"));
        embedNormWeight = array(weights.get(WeightKeys.EMBED_NORM + "weight"));
        embedNormBias = array(weights.get(WeightKeys.EMBED_NORM + "bias"));
        clsToken = array(weights.clsToken());
        posEmbedding = array(weights.posEmbedding());
        List<Layer> list = new ArrayList<>();
        for (CrateWeights.Layer layer : weights.layers()) {
            float[] dictionary = array(layer.ista());
            list.add(new Layer(array(layer.norm1Weight()), array(layer.norm1Bias()), transposed(layer.qkv()),
                    layer.toOutWeight() == null ? null : transposed(layer.toOutWeight()),
                    layer.toOutBias() == null ? null : array(layer.toOutBias()),
                    array(layer.norm2Weight()), array(layer.norm2Bias()), dictionary,
                    FloatOps.transpose(dictionary, d, d)));
        }
        layers = List.copyOf(list);
        headNormWeight = array(weights.get(WeightKeys.HEAD_NORM + "weight"));
        headNormBias = array(weights.get(WeightKeys.HEAD_NORM + "bias"));
        headT = transposed(weights.get(WeightKeys.HEAD_LINEAR + "weight"));
        headBias = array(weights.get(WeightKeys.HEAD_LINEAR + "bias"));
    }

    private static float[] array(Tensor tensor) {
        return tensor.toArray();
    }

    private static float[] transposed(Tensor tensor) {
        return tensor.transposedMatrix();
    }
}
