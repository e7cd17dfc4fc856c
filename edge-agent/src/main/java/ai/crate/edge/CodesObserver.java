package ai.crate.edge;

import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.LayerTensors;

/**
 * Keeps one layer's ISTA output of every image of a batch for the agent's sparse codes, in arrays reused from batch
 * to batch; the engine copies only that layer, and only the class token's row when the codes use nothing else. Set
 * the layer with {@link #layer(int)} before each forward pass.
 */
final class CodesObserver implements LayerObserver {
    private final float[][] outputs;
    private final boolean classTokenOnly;
    private int layer;
    private int tokens;
    private int dim;

    /**
     * @param classTokenOnly whether the codes are made of the class token's row alone
     */
    CodesObserver(int maxBatch, boolean classTokenOnly) {
        this.outputs = new float[maxBatch][];
        this.classTokenOnly = classTokenOnly;
    }

    void layer(int layer) {
        this.layer = layer;
    }

    @Override
    public boolean wants(int image, int layer) {
        return layer == this.layer;
    }

    @Override
    public boolean classTokenOnly(int image, int layer) {
        return classTokenOnly;
    }

    @Override
    public void onLayer(int image, int layer, LayerTensors tensors) {
        if (layer != this.layer) {
            return;
        }
        int size = tensors.tokens() * tensors.dim();
        if (outputs[image] == null || outputs[image].length != size) {
            outputs[image] = new float[size];
        }
        System.arraycopy(tensors.zNext(), 0, outputs[image], 0, size);
        tokens = tensors.tokens();
        dim = tensors.dim();
    }

    float[] output(int image) {
        return outputs[image];
    }

    int tokens() {
        return tokens;
    }

    int dim() {
        return dim;
    }
}
