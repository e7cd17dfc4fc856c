package ai.crate.runtime.train;

/**
 * Labelled images for training and evaluation, each prepared as the model's normalised {@code [C, H, W]} input.
 * Implementations must be safe for concurrent {@link #image} calls on different indices.
 */
public interface TrainingSet {

    /** Number of images. */
    int size();

    /** Floats per image: {@code C·H·W} of the model it feeds. */
    int imageFloats();

    /** Writes image {@code index} into {@code out} from {@code offset}. */
    void image(int index, float[] out, int offset);

    /** The class of image {@code index}, in {@code [0, classes)}. */
    int label(int index);

    /** A short description for logs, e.g. {@code shapes:2000} or {@code images.npy}. */
    String describe();
}
