package ai.crate.patchify;

/**
 * Pillow's bilinear resampling coefficients for one axis, which torchvision's {@code Resize} uses on images (and
 * reproduces on tensors with {@code antialias=True}): a triangle filter widened by the downscale factor, normalised
 * per output pixel. {@link #first(int)} and {@link #weights(int)} give, for output index {@code i}, the first input
 * index and the weights of the inputs from there.
 */
final class AntialiasKernel {
    private final int[] first;
    private final double[][] weights;

    private AntialiasKernel(int[] first, double[][] weights) {
        this.first = first;
        this.weights = weights;
    }

    /**
     * Coefficients to resample {@code inputSize} samples to {@code outputSize}. An axis that keeps its size is copied,
     * one tap of weight 1 per sample, as Pillow skips that pass.
     */
    static AntialiasKernel of(int inputSize, int outputSize) {
        if (inputSize == outputSize) {
            int[] first = new int[outputSize];
            double[][] weights = new double[outputSize][];
            for (int i = 0; i < outputSize; i++) {
                first[i] = i;
                weights[i] = new double[] {1.0};
            }
            return new AntialiasKernel(first, weights);
        }
        double scale = (double) inputSize / outputSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filterScale;
        double inverseScale = 1.0 / filterScale;
        int[] first = new int[outputSize];
        double[][] weights = new double[outputSize][];
        for (int i = 0; i < outputSize; i++) {
            double center = (i + 0.5) * scale;
            int min = Math.max((int) (center - support + 0.5), 0);
            int count = Math.min((int) (center + support + 0.5), inputSize) - min;
            double[] w = new double[count];
            double total = 0;
            for (int k = 0; k < count; k++) {
                w[k] = triangle((k + min - center + 0.5) * inverseScale);
                total += w[k];
            }
            if (total != 0) {
                for (int k = 0; k < count; k++) {
                    w[k] /= total;
                }
            }
            first[i] = min;
            weights[i] = w;
        }
        return new AntialiasKernel(first, weights);
    }

    private static double triangle(double x) {
        double a = Math.abs(x);
        return a < 1.0 ? 1.0 - a : 0.0;
    }

    int first(int output) {
        return first[output];
    }

    double[] weights(int output) {
        return weights[output];
    }

    /** The largest number of taps of any output index. */
    int maxTaps() {
        int max = 0;
        for (double[] w : weights) {
            max = Math.max(max, w.length);
        }
        return max;
    }
}
