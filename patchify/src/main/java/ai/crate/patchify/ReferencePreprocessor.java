package ai.crate.patchify;

/**
 * The oracle: every output value computed on its own from the formulas, in double, as Pillow's separable bilinear
 * resize followed by the crop and {@code (x/255 − mean)/std}. Slow and plain on purpose; {@link FastPreprocessor} is
 * tested against it.
 */
public final class ReferencePreprocessor implements Preprocessor {
    private final PreprocessSpec spec;

    public ReferencePreprocessor(PreprocessSpec spec) {
        this.spec = spec;
    }

    @Override
    public PreprocessSpec spec() {
        return spec;
    }

    @Override
    public void preprocess(DecodedImage image, float[] out, int offset) {
        ResizeGeometry geometry = ResizeGeometry.of(image.width(), image.height(), spec);
        AntialiasKernel horizontal = AntialiasKernel.of(image.width(), geometry.resizedWidth());
        AntialiasKernel vertical = AntialiasKernel.of(image.height(), geometry.resizedHeight());
        int height = geometry.cropHeight();
        int width = geometry.cropWidth();
        for (int c = 0; c < 3; c++) {
            double mean = spec.preprocessing().mean()[c];
            double std = spec.preprocessing().std()[c];
            for (int i = 0; i < height; i++) {
                int y = geometry.cropTop() + i;
                for (int j = 0; j < width; j++) {
                    int x = geometry.cropLeft() + j;
                    boolean inside = y >= 0 && y < geometry.resizedHeight() && x >= 0 && x < geometry.resizedWidth();
                    double value = inside ? resampled(image, c, x, y, horizontal, vertical) : 0.0;
                    out[offset + (c * height + i) * width + j] = (float) ((value / 255.0 - mean) / std);
                }
            }
        }
    }

    private static double resampled(DecodedImage image, int channel, int x, int y,
                                    AntialiasKernel horizontal, AntialiasKernel vertical) {
        double[] wy = vertical.weights(y);
        double[] wx = horizontal.weights(x);
        double sum = 0;
        for (int ky = 0; ky < wy.length; ky++) {
            double row = 0;
            for (int kx = 0; kx < wx.length; kx++) {
                row += wx[kx] * image.value(horizontal.first(x) + kx, vertical.first(y) + ky, channel);
            }
            sum += wy[ky] * row;
        }
        return sum;
    }
}
