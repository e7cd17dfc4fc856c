package ai.crate.runtime.engine;

/**
 * Receives the per-layer tensors of each image during a forward pass, for white-box measurements and sparse codes.
 * The arrays in {@link LayerTensors} are engine scratch: valid only during the call, so copy what you keep. Calls for
 * different images may come from different threads at once; calls for one image come in layer order.
 */
@FunctionalInterface
public interface LayerObserver {
    LayerObserver NONE = (image, layer, tensors) -> { };

    void onLayer(int image, int layer, LayerTensors tensors);

    /** Whether the engine must produce per-layer tensors at all; engines skip the work for {@link #NONE}. */
    default boolean wantsLayers() {
        return this != NONE;
    }

    /**
     * Whether image {@code image}'s tensors at {@code layer} are wanted; engines may skip copying the others, and
     * then do not call {@link #onLayer} for them. Every pair by default.
     */
    default boolean wants(int image, int layer) {
        return true;
    }

    /**
     * Whether only the class token's row of image {@code image}'s wanted tensors at {@code layer} is needed. An engine
     * may then pass that one token ({@code tokens() == 1}: row 0 of {@code w}, {@code zHalf} and {@code zNext}), and
     * compute only that token in the last layer of a model that pools the class token; observers accept either form.
     * No by default.
     */
    default boolean classTokenOnly(int image, int layer) {
        return false;
    }
}
