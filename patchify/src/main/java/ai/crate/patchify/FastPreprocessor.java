package ai.crate.patchify;

import java.util.Arrays;

/**
 * The production preprocessor: the same separable Pillow resampling as {@link ReferencePreprocessor}, computed only
 * for the pixels that survive the crop, from float coefficient tables kept per input size (camera streams keep one
 * size), with the normalisation folded into one multiply-add. Allocation-free once a size has been seen. One instance
 * per thread.
 */
public final class FastPreprocessor implements Preprocessor {
    private final PreprocessSpec spec;
    private final float[] scale = new float[3];
    private final float[] shift = new float[3];
    private Plan plan;
    private float[] rows = new float[0];
    private float[] column = new float[0];

    public FastPreprocessor(PreprocessSpec spec) {
        this.spec = spec;
        for (int c = 0; c < 3; c++) {
            double std = spec.preprocessing().std()[c];
            scale[c] = (float) (1.0 / (255.0 * std));
            shift[c] = (float) (-spec.preprocessing().mean()[c] / std);
        }
    }

    @Override
    public PreprocessSpec spec() {
        return spec;
    }

    @Override
    public void preprocess(DecodedImage image, float[] out, int offset) {
        Plan p = planFor(image.width(), image.height());
        int width = p.geometry.cropWidth();
        int height = p.geometry.cropHeight();
        int plane = width * height;
        if (p.columns < width || p.outRows < height) {
            for (int c = 0; c < 3; c++) {
                Arrays.fill(out, offset + c * plane, offset + (c + 1) * plane, shift[c]);
            }
        }
        if (p.identity) {
            copyCrop(image, p, out, offset);
            return;
        }
        horizontalPass(image, p);
        verticalPass(p, out, offset);
    }

    /**
     * When the image already has the resized size, both passes would copy with one tap of weight 1: the crop's pixels
     * are normalised straight from the bytes instead, with the same arithmetic.
     */
    private void copyCrop(DecodedImage image, Plan p, float[] out, int offset) {
        byte[] pixels = image.pixels();
        int stride = 3 * image.width();
        int width = p.geometry.cropWidth();
        int plane = width * p.geometry.cropHeight();
        for (int c = 0; c < 3; c++) {
            int channel = image.order().offsetOf(c);
            float s = scale[c];
            float t = shift[c];
            for (int i = 0; i < p.outRows; i++) {
                int src = p.yFirst[i] * stride + 3 * p.xFirst[0] + channel;
                int dst = offset + c * plane + (p.firstOutRow + i) * width + p.firstOutColumn;
                for (int j = 0; j < p.columns; j++) {
                    out[dst + j] = (pixels[src + 3 * j] & 0xFF) * s + t;
                }
            }
        }
    }

    /** Resamples the needed input rows along x into {@link #rows}: one row of {@code 3·columns} floats per input row. */
    private void horizontalPass(DecodedImage image, Plan p) {
        byte[] pixels = image.pixels();
        int stride = 3 * image.width();
        int r = image.order().offsetOf(0);
        int b = image.order().offsetOf(2);
        int columns = p.columns;
        int taps = p.xTaps;
        for (int row = p.firstRow; row < p.endRow; row++) {
            int src = row * stride;
            int dst = (row - p.firstRow) * 3 * columns;
            for (int j = 0; j < columns; j++) {
                int at = src + 3 * p.xFirst[j];
                int w = j * taps;
                float red = 0;
                float green = 0;
                float blue = 0;
                for (int k = 0; k < taps; k++, at += 3) {
                    float weight = p.xWeights[w + k];
                    red += weight * (pixels[at + r] & 0xFF);
                    green += weight * (pixels[at + 1] & 0xFF);
                    blue += weight * (pixels[at + b] & 0xFF);
                }
                rows[dst + 3 * j] = red;
                rows[dst + 3 * j + 1] = green;
                rows[dst + 3 * j + 2] = blue;
            }
        }
    }

    /** Resamples {@link #rows} along y and writes the normalised planes; pixels outside the image keep the shift. */
    private void verticalPass(Plan p, float[] out, int offset) {
        int width = p.geometry.cropWidth();
        int height = p.geometry.cropHeight();
        int plane = width * height;
        int line = 3 * p.columns;
        for (int i = 0; i < p.outRows; i++) {
            Arrays.fill(column, 0, line, 0f);
            int taps = p.yTaps;
            for (int k = 0; k < taps; k++) {
                float weight = p.yWeights[i * taps + k];
                if (weight == 0f) {
                    continue;
                }
                int src = (p.yFirst[i] + k - p.firstRow) * line;
                for (int v = 0; v < line; v++) {
                    column[v] += weight * rows[src + v];
                }
            }
            int outRow = p.firstOutRow + i;
            for (int j = 0; j < p.columns; j++) {
                int at = offset + outRow * width + p.firstOutColumn + j;
                for (int c = 0; c < 3; c++) {
                    out[at + c * plane] = column[3 * j + c] * scale[c] + shift[c];
                }
            }
        }
    }

    private Plan planFor(int width, int height) {
        Plan p = plan;
        if (p == null || p.inputWidth != width || p.inputHeight != height) {
            p = new Plan(width, height, ResizeGeometry.of(width, height, spec));
            plan = p;
            if (rows.length < (p.endRow - p.firstRow) * 3 * p.columns) {
                rows = new float[(p.endRow - p.firstRow) * 3 * p.columns];
            }
            if (column.length < 3 * p.columns) {
                column = new float[3 * p.columns];
            }
        }
        return p;
    }

    /** Coefficient tables for one input size: only the output rows and columns inside both the crop and the image. */
    private static final class Plan {
        final int inputWidth;
        final int inputHeight;
        final ResizeGeometry geometry;
        final int firstOutColumn;
        final int columns;
        final int xTaps;
        final int[] xFirst;
        final float[] xWeights;
        final int firstOutRow;
        final int outRows;
        final int yTaps;
        final int[] yFirst;
        final float[] yWeights;
        final int firstRow;
        final int endRow;
        /** Whether the input already has the resized size: one tap of weight 1 on consecutive pixels, both ways. */
        final boolean identity;

        Plan(int inputWidth, int inputHeight, ResizeGeometry geometry) {
            this.inputWidth = inputWidth;
            this.inputHeight = inputHeight;
            this.geometry = geometry;
            AntialiasKernel horizontal = AntialiasKernel.of(inputWidth, geometry.resizedWidth());
            AntialiasKernel vertical = AntialiasKernel.of(inputHeight, geometry.resizedHeight());
            firstOutColumn = Math.max(0, -geometry.cropLeft());
            int endColumn = Math.min(geometry.cropWidth(), geometry.resizedWidth() - geometry.cropLeft());
            columns = Math.max(0, endColumn - firstOutColumn);
            xTaps = horizontal.maxTaps();
            xFirst = new int[columns];
            xWeights = new float[columns * xTaps];
            for (int j = 0; j < columns; j++) {
                int x = geometry.cropLeft() + firstOutColumn + j;
                xFirst[j] = fill(horizontal, x, xWeights, j * xTaps, xTaps, inputWidth);
            }
            firstOutRow = Math.max(0, -geometry.cropTop());
            int endOutRow = Math.min(geometry.cropHeight(), geometry.resizedHeight() - geometry.cropTop());
            outRows = Math.max(0, endOutRow - firstOutRow);
            yTaps = vertical.maxTaps();
            yFirst = new int[outRows];
            yWeights = new float[outRows * yTaps];
            int low = inputHeight;
            int high = 0;
            for (int i = 0; i < outRows; i++) {
                int y = geometry.cropTop() + firstOutRow + i;
                yFirst[i] = fill(vertical, y, yWeights, i * yTaps, yTaps, inputHeight);
                low = Math.min(low, yFirst[i]);
                high = Math.max(high, yFirst[i] + yTaps);
            }
            firstRow = outRows == 0 ? 0 : low;
            endRow = outRows == 0 ? 0 : high;
            identity = isIdentity(xTaps, xFirst, xWeights) && isIdentity(yTaps, yFirst, yWeights);
        }

        private static boolean isIdentity(int taps, int[] first, float[] weights) {
            if (taps != 1) {
                return false;
            }
            for (int i = 0; i < first.length; i++) {
                if (weights[i] != 1f || first[i] != first[0] + i) {
                    return false;
                }
            }
            return true;
        }

        /**
         * Copies one output's weights into a fixed-width slot. Near the edges a kernel has fewer taps; its start is
         * moved back (with zero weights in front) so every slot reads {@code taps} in-range inputs.
         */
        private static int fill(AntialiasKernel kernel, int output, float[] into, int at, int taps, int inputSize) {
            double[] weights = kernel.weights(output);
            int first = kernel.first(output);
            int start = Math.max(0, Math.min(first, inputSize - taps));
            int lead = first - start;
            for (int k = 0; k < weights.length; k++) {
                into[at + lead + k] = (float) weights[k];
            }
            return start;
        }
    }
}
