package ai.crate.patchify;

/** The order of the three 8-bit channels of an interleaved {@link DecodedImage}. */
public enum ChannelOrder {
    RGB,
    BGR;

    /** Index, within one pixel's three bytes, of red (0), green (1) or blue (2). */
    public int offsetOf(int rgbChannel) {
        return this == RGB ? rgbChannel : 2 - rgbChannel;
    }
}
