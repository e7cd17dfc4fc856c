package ai.crate.flink;

import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.LayerTensors;
import ai.crate.runtime.whitebox.CodingRate;
import ai.crate.runtime.whitebox.WhiteBoxRecorder;

/**
 * What the inference operator takes from a batch besides logits: one layer's output of every image (for sparse
 * codes) and, for the images chosen by {@link #measure}, every layer's coding rate and sparsity (for telemetry).
 * Arrays are reused from batch to batch. Images may be observed from several engine threads at once; each writes
 * only its own slots.
 */
final class BatchObserver implements LayerObserver {
    private final int codesLayer;
    private final boolean classTokenCodes;
    private final float[][] layerOutputs;
    private final int[] layerTokens;
    private final boolean[] measured;
    private final double[][] codingRates;
    private final double[][] sparsities;

    /**
     * @param codesLayer the layer whose output is kept for sparse codes, or -1 for none
     * @param classTokenCodes whether the codes are made of the class token's row alone
     */
    BatchObserver(int maxBatch, int depth, int codesLayer, boolean classTokenCodes) {
        this.codesLayer = codesLayer;
        this.classTokenCodes = classTokenCodes;
        this.layerOutputs = new float[maxBatch][];
        this.layerTokens = new int[maxBatch];
        this.measured = new boolean[maxBatch];
        this.codingRates = new double[maxBatch][depth];
        this.sparsities = new double[maxBatch][depth];
    }

    /** Forgets which images were to be measured; call before each batch. */
    void reset() {
        java.util.Arrays.fill(measured, false);
    }

    /** Asks for image {@code image}'s white-box figures in the coming batch. */
    void measure(int image) {
        measured[image] = true;
    }

    boolean anyMeasured() {
        for (boolean m : measured) {
            if (m) {
                return true;
            }
        }
        return false;
    }

    boolean wanted() {
        return codesLayer >= 0 || anyMeasured();
    }

    @Override
    public boolean wants(int image, int layer) {
        return layer == codesLayer || measured[image];
    }

    /** Measured images need every token; the codes alone may need only the class token's. */
    @Override
    public boolean classTokenOnly(int image, int layer) {
        return classTokenCodes && !measured[image];
    }

    @Override
    public void onLayer(int image, int layer, LayerTensors tensors) {
        if (layer == codesLayer) {
            int size = tensors.tokens() * tensors.dim();
            if (layerOutputs[image] == null || layerOutputs[image].length != size) {
                layerOutputs[image] = new float[size];
            }
            System.arraycopy(tensors.zNext(), 0, layerOutputs[image], 0, size);
            layerTokens[image] = tensors.tokens();
        }
        if (measured[image]) {
            codingRates[image][layer] = CodingRate.of(tensors.w(), tensors.tokens(), tensors.heads(),
                    tensors.dimHead());
            sparsities[image][layer] = WhiteBoxRecorder.sparsity(tensors.zNext(), tensors.tokens() * tensors.dim());
        }
    }

    /** Image {@code image}'s output of the codes layer, {@code [layerTokens(image), dim]}. */
    float[] layerOutput(int image) {
        return layerOutputs[image];
    }

    /** How many token rows {@link #layerOutput} holds: every token, or 1 when the engine gave the class token's alone. */
    int layerTokens(int image) {
        return layerTokens[image];
    }

    boolean measured(int image) {
        return measured[image];
    }

    double[] codingRates(int image) {
        return codingRates[image];
    }

    double[] sparsities(int image) {
        return sparsities[image];
    }
}
