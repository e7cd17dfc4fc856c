package ai.crate.patchify;

/**
 * Turns an {@link EncodedFrame} into a {@link DecodedImage}. One instance per thread: decoders keep scratch buffers,
 * and the image returned may share its pixel array with the next call's. Close to free native buffers.
 */
public interface FrameDecoder extends AutoCloseable {

    /**
     * Decodes one frame.
     *
     * @throws PatchifyException if the bytes are not a valid image of the stated format and size
     */
    DecodedImage decode(EncodedFrame frame) throws PatchifyException;

    @Override
    void close();
}
