package ai.crate.runtime.engine.fast;

import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.LayerTensors;

/**
 * A batch's observer as seen by the pass over one group of its images: image {@code i} of the group is image
 * {@code first + i} of the batch. One per group view, pointed at the current call's observer for the pass.
 */
final class ShiftedObserver implements LayerObserver {
    private final int first;
    private LayerObserver batchObserver = LayerObserver.NONE;

    ShiftedObserver(int first) {
        this.first = first;
    }

    /** This view pointed at {@code observer}, or {@link LayerObserver#NONE} itself when the batch has no observer. */
    LayerObserver of(LayerObserver observer) {
        if (observer == LayerObserver.NONE) {
            return LayerObserver.NONE;
        }
        batchObserver = observer;
        return this;
    }

    /** Drops the call's observer once its pass is over. */
    void clear() {
        batchObserver = LayerObserver.NONE;
    }

    @Override
    public void onLayer(int image, int layer, LayerTensors tensors) {
        batchObserver.onLayer(first + image, layer, tensors);
    }

    @Override
    public boolean wantsLayers() {
        return batchObserver.wantsLayers();
    }

    @Override
    public boolean wants(int image, int layer) {
        return batchObserver.wants(first + image, layer);
    }

    @Override
    public boolean classTokenOnly(int image, int layer) {
        return batchObserver.classTokenOnly(first + image, layer);
    }
}
