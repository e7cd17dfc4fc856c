package ai.crate.patchify;

/**
 * One frame as it travels: its format, its size (required for raw formats, 0 when unknown for JPEG and PNG) and its
 * bytes. The array is not copied; do not change it while a decoder reads it.
 */
public record EncodedFrame(FrameFormat format, int width, int height, byte[] data) {
    /** The most pixels a JPEG or PNG frame may claim in its header (more than 8K UHD), so decoding one is bounded. */
    public static final long MAX_PIXELS = 40_000_000L;

    public EncodedFrame {
        if (format == null || data == null) {
            throw new IllegalArgumentException("frame format and data are required");
        }
        if (width < 0 || height < 0) {
            throw new IllegalArgumentException("frame size must not be negative, got " + width + "x" + height);
        }
    }

    /** A JPEG or PNG frame, its size read from the bytes when decoded. */
    public static EncodedFrame compressed(FrameFormat format, byte[] data) {
        return new EncodedFrame(format, 0, 0, data);
    }

    /**
     * Checks what can be checked before decoding: a raw frame's byte count against its format and size; a JPEG's
     * start and end markers (a truncated JPEG would otherwise decode to a half-grey picture); a PNG's signature; and
     * the size a JPEG or PNG header claims, at most {@link #MAX_PIXELS}.
     */
    void requireWellFormed() throws PatchifyException {
        if (format == FrameFormat.JPEG) {
            requireJpegMarkers();
            requireJpegSize();
            return;
        }
        if (format == FrameFormat.PNG) {
            if (data.length < 8 || (data[0] & 0xFF) != 0x89 || data[1] != 'P' || data[2] != 'N' || data[3] != 'G') {
                throw new PatchifyException("PNG frame of " + data.length + " bytes does not start with the PNG signature");
            }
            if (!endsWithIend()) {
                throw new PatchifyException("PNG frame of " + data.length
                        + " bytes does not end with the IEND chunk: it is truncated");
            }
            if (data.length >= 24 && data[12] == 'I' && data[13] == 'H' && data[14] == 'D' && data[15] == 'R') {
                requireClaimedSize(bigEndian(16, 4), bigEndian(20, 4));
            }
            return;
        }
        if (width <= 0 || height <= 0) {
            throw new PatchifyException(format + " frame needs a positive width and height, got " + width + "x" + height);
        }
        if ((format == FrameFormat.I420 || format == FrameFormat.NV12) && (width % 2 != 0 || height % 2 != 0)) {
            throw new PatchifyException(format + " frame needs an even width and height, got " + width + "x" + height);
        }
        long expected = format.rawSize(width, height);
        if (data.length != expected) {
            throw new PatchifyException(format + " frame of " + width + "x" + height + " must have " + expected
                    + " bytes, got " + data.length);
        }
    }

    /** The size in the JPEG's frame header (SOFn), read by walking the segments before the first scan. */
    private void requireJpegSize() throws PatchifyException {
        int i = 2;
        while (i + 4 <= data.length && (data[i] & 0xFF) == 0xFF) {
            int marker = data[i + 1] & 0xFF;
            if (marker == 0xFF) {
                i++;
                continue;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
                i += 2;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) {
                return;
            }
            boolean frameHeader = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8
                    && marker != 0xCC;
            if (frameHeader && i + 9 <= data.length) {
                requireClaimedSize(bigEndian(i + 7, 2), bigEndian(i + 5, 2));
                return;
            }
            i += 2 + (int) bigEndian(i + 2, 2);
        }
    }

    private void requireClaimedSize(long claimedWidth, long claimedHeight) throws PatchifyException {
        if (claimedWidth <= 0 || claimedHeight <= 0 || claimedWidth * claimedHeight > MAX_PIXELS) {
            throw new PatchifyException(format + " frame of " + data.length + " bytes claims " + claimedWidth + "x"
                    + claimedHeight + " pixels: a frame must have a positive size of at most " + MAX_PIXELS
                    + " pixels");
        }
    }

    private long bigEndian(int offset, int bytes) {
        long value = 0;
        for (int k = 0; k < bytes; k++) {
            value = (value << 8) | (data[offset + k] & 0xFF);
        }
        return value;
    }

    private boolean endsWithIend() {
        int n = data.length;
        return n >= 20 && data[n - 8] == 'I' && data[n - 7] == 'E' && data[n - 6] == 'N' && data[n - 5] == 'D';
    }

    private void requireJpegMarkers() throws PatchifyException {
        if (data.length < 4 || (data[0] & 0xFF) != 0xFF || (data[1] & 0xFF) != 0xD8) {
            throw new PatchifyException("JPEG frame of " + data.length + " bytes does not start with the JPEG SOI marker");
        }
        int end = data.length;
        while (end > 2 && data[end - 1] == 0) {
            end--;
        }
        if ((data[end - 2] & 0xFF) != 0xFF || (data[end - 1] & 0xFF) != 0xD9) {
            throw new PatchifyException("JPEG frame of " + data.length
                    + " bytes does not end with the JPEG EOI marker: it is truncated");
        }
    }
}
