package ai.crate.runtime.engine;

import ai.crate.runtime.config.CrateConfig;

/**
 * The input check every engine makes ({@code batch} images of the config's {@code [C, H, W]}, nothing more or less) and
 * the patch tokens of an image as the model cuts them.
 */
public final class ImageBatches {
    private ImageBatches() {
    }

    /** Fails with a message giving both sizes unless {@code images} holds exactly {@code batch} images. */
    public static void requireShape(CrateConfig config, float[] images, int batch) {
        long imageFloats = (long) config.channels() * config.imageHeight() * config.imageWidth();
        if (batch < 1 || images.length != batch * imageFloats) {
            throw new IllegalArgumentException("expected " + batch + " images of [" + config.channels() + ", "
                    + config.imageHeight() + ", " + config.imageWidth() + "] = " + batch * imageFloats
                    + " floats, got " + images.length);
        }
    }

    /**
     * Patch tokens {@code [N, p1·p2·C]} of one image: patches in row-major grid order, inside a patch (row, column,
     * channel) with channel fastest, as {@code Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)')}.
     */
    public static float[] patches(CrateConfig config, float[] images, int image) {
        int c = config.channels();
        int height = config.imageHeight();
        int width = config.imageWidth();
        int p1 = config.patchHeight();
        int p2 = config.patchWidth();
        int gridW = width / p2;
        int patchDim = config.patchDim();
        float[] out = new float[config.numPatches() * patchDim];
        int base = image * c * height * width;
        for (int gy = 0; gy < height / p1; gy++) {
            for (int gx = 0; gx < gridW; gx++) {
                int patch = (gy * gridW + gx) * patchDim;
                for (int py = 0; py < p1; py++) {
                    for (int px = 0; px < p2; px++) {
                        for (int ch = 0; ch < c; ch++) {
                            out[patch + (py * p2 + px) * c + ch] =
                                    images[base + (ch * height + gy * p1 + py) * width + gx * p2 + px];
                        }
                    }
                }
            }
        }
        return out;
    }
}
