package ai.crate.patchify;

import java.util.Locale;

/** How the bytes of an {@link EncodedFrame} are laid out. Raw formats need the frame's width and height. */
public enum FrameFormat {
    /** JPEG file bytes. */
    JPEG(false),
    /** PNG file bytes. */
    PNG(false),
    /** Packed 8-bit B, G, R per pixel, rows top to bottom. */
    BGR24(true),
    /** Packed 8-bit R, G, B per pixel. */
    RGB24(true),
    /** 8-bit luminance only. */
    GRAY8(true),
    /** Planar YUV 4:2:0: the Y plane, then U and V at half resolution (even width and height). */
    I420(true),
    /** Semi-planar YUV 4:2:0: the Y plane, then interleaved U,V at half resolution (even width and height). */
    NV12(true);

    private final boolean raw;

    FrameFormat(boolean raw) {
        this.raw = raw;
    }

    /** True for uncompressed formats, whose size follows from width and height. */
    public boolean isRaw() {
        return raw;
    }

    /** The number of bytes a raw frame of this size must have. */
    public long rawSize(int width, int height) {
        long pixels = (long) width * height;
        return switch (this) {
            case BGR24, RGB24 -> 3 * pixels;
            case GRAY8 -> pixels;
            case I420, NV12 -> pixels + 2 * ((long) (width / 2) * (height / 2));
            case JPEG, PNG -> throw new IllegalStateException(this + " is not a raw format");
        };
    }

    /** Parses a name such as {@code jpeg} or {@code bgr24}, naming the accepted values when it is unknown. */
    public static FrameFormat parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown frame format '" + name + "'; expected one of "
                    + java.util.Arrays.toString(values()).toLowerCase(Locale.ROOT));
        }
    }
}
