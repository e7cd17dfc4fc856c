package ai.crate.patchify;

/**
 * Decode and prepare in one call: an {@link EncodedFrame} in, the model's normalised {@code [3, H, W]} out. Create the
 * fast one with {@link #fast(PreprocessSpec)} (OpenCV and {@link FastPreprocessor}) or the oracle with
 * {@link #reference(PreprocessSpec)}. One instance per thread; close it to free the decoder's native buffers.
 */
public final class Patchifier implements AutoCloseable {
    private final FrameDecoder decoder;
    private final Preprocessor preprocessor;

    public Patchifier(FrameDecoder decoder, Preprocessor preprocessor) {
        this.decoder = decoder;
        this.preprocessor = preprocessor;
    }

    public static Patchifier fast(PreprocessSpec spec) {
        return new Patchifier(new OpenCvFrameDecoder(), new FastPreprocessor(spec));
    }

    public static Patchifier reference(PreprocessSpec spec) {
        return new Patchifier(new JavaFrameDecoder(), new ReferencePreprocessor(spec));
    }

    public PreprocessSpec spec() {
        return preprocessor.spec();
    }

    /** Writes the prepared image into {@code out} from {@code offset}; nothing is written if decoding fails. */
    public void patchify(EncodedFrame frame, float[] out, int offset) throws PatchifyException {
        DecodedImage image = decoder.decode(frame);
        preprocessor.preprocess(image, out, offset);
    }

    /** A fresh array with the prepared image. */
    public float[] patchify(EncodedFrame frame) throws PatchifyException {
        float[] out = new float[preprocessor.spec().imageFloats()];
        patchify(frame, out, 0);
        return out;
    }

    @Override
    public void close() {
        decoder.close();
    }
}
