package ai.crate.patchify;

/**
 * Lays a {@code [C, H, W]} image out as the spec's patch tokens {@code [N, p1·p2·C]}: patches in row-major order over
 * the grid, and inside a patch (row, column, channel) with the channel fastest, as {@code Rearrange('b c (h p1) (w
 * p2) -> b (h w) (p1 p2 c)')}.
 */
public final class PatchTokens {
    private PatchTokens() {
    }

    /** Floats the tokens of one image take: {@code C·H·W}, in another order. */
    public static int size(int channels, int height, int width) {
        return channels * height * width;
    }

    /**
     * Writes the tokens of the image at {@code image[imageOffset ..]} into {@code tokens[tokenOffset ..]}.
     *
     * @throws IllegalArgumentException if the patch size does not divide the image
     */
    public static void fromChw(float[] image, int imageOffset, int channels, int height, int width,
                               int patchHeight, int patchWidth, float[] tokens, int tokenOffset) {
        if (patchHeight <= 0 || patchWidth <= 0 || height % patchHeight != 0 || width % patchWidth != 0) {
            throw new IllegalArgumentException("patch " + patchHeight + "x" + patchWidth + " does not divide the image "
                    + height + "x" + width);
        }
        int gridWidth = width / patchWidth;
        int tokenSize = patchHeight * patchWidth * channels;
        int plane = height * width;
        for (int y = 0; y < height; y++) {
            int patchRow = y / patchHeight;
            int inPatchRow = y % patchHeight;
            for (int x = 0; x < width; x++) {
                int token = patchRow * gridWidth + x / patchWidth;
                int base = tokenOffset + token * tokenSize + (inPatchRow * patchWidth + x % patchWidth) * channels;
                int source = imageOffset + y * width + x;
                for (int c = 0; c < channels; c++) {
                    tokens[base + c] = image[source + c * plane];
                }
            }
        }
    }
}
