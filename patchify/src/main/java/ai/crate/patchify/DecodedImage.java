package ai.crate.patchify;

/**
 * An 8-bit, three-channel image with interleaved pixels, rows top to bottom. Decoders may reuse the pixel array for
 * the next frame they decode; copy it to keep it.
 */
public record DecodedImage(int width, int height, ChannelOrder order, byte[] pixels) {
    public DecodedImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (pixels.length < 3L * width * height) {
            throw new IllegalArgumentException("a " + width + "x" + height + " image needs " + 3L * width * height
                    + " bytes, got " + pixels.length);
        }
    }

    /** The 8-bit value of red (0), green (1) or blue (2) at ({@code x}, {@code y}). */
    public int value(int x, int y, int rgbChannel) {
        return pixels[(y * width + x) * 3 + order.offsetOf(rgbChannel)] & 0xFF;
    }
}
