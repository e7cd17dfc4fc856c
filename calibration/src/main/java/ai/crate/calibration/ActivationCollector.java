package ai.crate.calibration;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.engine.ImageBatches;
import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.LayerTensors;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.quant.QuantPoint;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A layer observer that histograms every {@link QuantPoint} of the fused graph while an engine runs the calibration
 * images: the patches, and per layer the plain-normalised inputs of the projection and ISTA products, {@code w}, the
 * attention of every head and the heads' output, then the head's input. Give it each batch's images
 * ({@link #batch}) before the forward pass that observes them.
 */
final class ActivationCollector implements LayerObserver {
    private final CrateConfig config;
    private final Map<String, ActivationHistogram> histograms = new LinkedHashMap<>();
    private final ThreadLocal<Scratch> scratch;
    private float[][] layerInputs = new float[0][];
    private float[] images;

    ActivationCollector(CrateWeights weights) {
        this.config = weights.config();
        for (QuantPoint point : QuantPoint.all(config)) {
            histograms.put(point.tensor(), new ActivationHistogram(point.tensor()));
        }
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(weights));
    }

    /** The images of the next forward pass, {@code [batch, C, H, W]}. */
    void batch(float[] batchImages, int count) {
        this.images = batchImages;
        if (layerInputs.length < count) {
            layerInputs = new float[count][];
        }
    }

    Map<String, ActivationHistogram> histograms() {
        return histograms;
    }

    @Override
    public void onLayer(int image, int layer, LayerTensors tensors) {
        int t = config.tokens();
        int d = config.dim();
        Scratch s = scratch.get();
        if (layer == 0) {
            float[] patches = ImageBatches.patches(config, images, image);
            LayerActivations.plainNorm(patches, config.numPatches(), config.patchDim(), patches);
            add(QuantPoint.patches(), patches);
        }
        for (int k = 0; k < config.heads(); k++) {
            s.activations.attention(tensors, k, s.attention);
            add(QuantPoint.attention(layer), s.attention);
            s.activations.attendInto(tensors, k, s.attention, s.concat);
        }
        if (config.projectOut()) {
            add(QuantPoint.outInput(layer), s.concat);
        }
        float[] input;
        if (layer == 0) {
            s.activations.layerInput(0, tensors, s.concat, s.input);
            input = s.input;
        } else {
            input = layerInputs[image];
        }
        LayerActivations.plainNorm(input, t, d, s.normed);
        add(QuantPoint.qkvInput(layer), s.normed);
        add(QuantPoint.heads(layer), tensors.w());
        LayerActivations.plainNorm(tensors.zHalf(), t, d, s.normed);
        add(QuantPoint.istaInput(layer), s.normed);
        if (layer == config.depth() - 1) {
            add(QuantPoint.headInput(), s.activations.headInput(tensors.zNext()));
        } else {
            if (layerInputs[image] == null) {
                layerInputs[image] = new float[t * d];
            }
            System.arraycopy(tensors.zNext(), 0, layerInputs[image], 0, t * d);
        }
    }

    private void add(String point, float[] values) {
        histograms.get(point).add(values, 0, values.length);
    }

    /** Per-thread buffers for one image's recomputed tensors. */
    private static final class Scratch {
        final LayerActivations activations;
        final float[] attention;
        final float[] concat;
        final float[] input;
        final float[] normed;

        Scratch(CrateWeights weights) {
            CrateConfig config = weights.config();
            int t = config.tokens();
            activations = new LayerActivations(weights);
            attention = new float[t * t];
            concat = new float[t * config.innerDim()];
            input = new float[t * config.dim()];
            normed = new float[t * config.dim()];
        }
    }
}
