package ai.crate.patchify;

/**
 * BT.601 limited-range YUV 4:2:0 to RGB in the fixed-point arithmetic OpenCV uses for {@code COLOR_YUV2RGB_I420} and
 * {@code _NV12}, so the pure-Java path decodes raw camera frames to the same bytes as the OpenCV path.
 */
final class YuvToRgb {
    private static final int SHIFT = 20;
    private static final int CY = 1220542;
    private static final int CUB = 2116026;
    private static final int CUG = -409993;
    private static final int CVG = -852492;
    private static final int CVR = 1673527;
    private static final int HALF = 1 << (SHIFT - 1);

    private YuvToRgb() {
    }

    /** Converts a validated I420 or NV12 frame to interleaved RGB in {@code rgb}. */
    static void convert(EncodedFrame frame, byte[] rgb) {
        int width = frame.width();
        int height = frame.height();
        byte[] src = frame.data();
        int lumaSize = width * height;
        int chromaWidth = width / 2;
        boolean semiPlanar = frame.format() == FrameFormat.NV12;
        int vPlane = lumaSize + chromaWidth * (height / 2);
        for (int y = 0; y < height; y++) {
            int chromaRow = y / 2;
            for (int x = 0; x < width; x++) {
                int u;
                int v;
                if (semiPlanar) {
                    int at = lumaSize + chromaRow * width + (x / 2) * 2;
                    u = src[at] & 0xFF;
                    v = src[at + 1] & 0xFF;
                } else {
                    int at = chromaRow * chromaWidth + x / 2;
                    u = src[lumaSize + at] & 0xFF;
                    v = src[vPlane + at] & 0xFF;
                }
                int uu = u - 128;
                int vv = v - 128;
                int luma = Math.max(0, (src[y * width + x] & 0xFF) - 16) * CY;
                int out = (y * width + x) * 3;
                rgb[out] = saturate((luma + HALF + CVR * vv) >> SHIFT);
                rgb[out + 1] = saturate((luma + HALF + CVG * vv + CUG * uu) >> SHIFT);
                rgb[out + 2] = saturate((luma + HALF + CUB * uu) >> SHIFT);
            }
        }
    }

    private static byte saturate(int value) {
        return (byte) Math.min(255, Math.max(0, value));
    }
}
