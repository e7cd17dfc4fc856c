package ai.crate.runtime.engine;

import ai.crate.runtime.config.CrateConfig;

/**
 * Runs CRATE's forward pass on batches of normalised images. Create one with {@link Engines#create}; close it to
 * release its threads and buffers. Implementations say in their javadoc whether one instance may be shared by
 * several threads.
 */
public interface CrateEngine extends AutoCloseable {

    /** The engine's registered name, e.g. {@code reference}. */
    String name();

    CrateConfig config();

    /**
     * Logits for a batch.
     *
     * @param images float32 {@code [batch, C, H, W]}, already normalised, C order
     * @param batch  number of images in {@code images}
     * @return float32 {@code [batch, num_classes]}
     */
    default float[] forward(float[] images, int batch) {
        return forward(images, batch, LayerObserver.NONE);
    }

    /**
     * Logits for a batch written into {@code logits} ({@code [batch, num_classes]}), for callers that reuse one output
     * array; engines that can avoid the intermediate array override this.
     */
    default void forwardInto(float[] images, int batch, float[] logits) {
        float[] result = forward(images, batch);
        if (logits.length < result.length) {
            throw new IllegalArgumentException("logits needs " + result.length + " floats, got " + logits.length);
        }
        System.arraycopy(result, 0, logits, 0, result.length);
    }

    /**
     * Logits for a batch, handing each layer's tensors of each image to {@code observer} as they are computed.
     * The observer may be called from several threads at once, for different images.
     */
    float[] forward(float[] images, int batch, LayerObserver observer);

    @Override
    void close();
}
