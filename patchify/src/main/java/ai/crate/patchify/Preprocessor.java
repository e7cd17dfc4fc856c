package ai.crate.patchify;

/**
 * Resizes, centre-crops and normalises a {@link DecodedImage} into float32 {@code [3, H, W]} (RGB planes), as
 * torchvision's {@code Resize + CenterCrop + ToTensor + Normalize} with the {@link PreprocessSpec}'s values.
 * Instances keep scratch buffers: one per thread.
 */
public interface Preprocessor {

    PreprocessSpec spec();

    /** Writes {@code spec().imageFloats()} floats into {@code out} from {@code offset}. */
    void preprocess(DecodedImage image, float[] out, int offset);

    /** A fresh array holding the prepared image. */
    default float[] preprocess(DecodedImage image) {
        float[] out = new float[spec().imageFloats()];
        preprocess(image, out, 0);
        return out;
    }
}
