package ai.crate.runtime.engine;

import java.util.Arrays;

/**
 * The plain float32 kernels of the reference engine: matrix product, LayerNorm, row softmax, transpose. Written for
 * clarity, with loops the JIT can vectorise (contiguous inner loops, no reductions over floats in them). Public for the
 * tools that recompute a layer's intermediate tensors from what observers receive (calibration, reports).
 */
public final class FloatOps {
    private static final int L2_FLOATS = 64 * 1024;

    private FloatOps() {
    }

    /**
     * {@code out[rows, cols] = a[rows, inner] · b[inner, cols]}, all row-major. The inner dimension is blocked so a
     * slab of {@code b} stays in cache while every row of {@code a} passes over it.
     */
    public static void multiply(float[] a, int rows, int inner, float[] b, int cols, float[] out) {
        Arrays.fill(out, 0, rows * cols, 0f);
        int block = Math.max(8, L2_FLOATS / Math.max(1, cols));
        for (int k0 = 0; k0 < inner; k0 += block) {
            int k1 = Math.min(inner, k0 + block);
            for (int r = 0; r < rows; r++) {
                int outRow = r * cols;
                int aRow = r * inner;
                for (int k = k0; k < k1; k++) {
                    float av = a[aRow + k];
                    int bRow = k * cols;
                    for (int c = 0; c < cols; c++) {
                        out[outRow + c] += av * b[bRow + c];
                    }
                }
            }
        }
    }

    /** Adds {@code bias[cols]} to every row of {@code x[rows, cols]}. */
    public static void addBias(float[] x, int rows, int cols, float[] bias) {
        for (int r = 0; r < rows; r++) {
            int row = r * cols;
            for (int c = 0; c < cols; c++) {
                x[row + c] += bias[c];
            }
        }
    }

    /**
     * LayerNorm over the last axis (biased variance, eps inside the square root), as {@code torch.nn.LayerNorm};
     * without affine when {@code gamma} and {@code beta} are null.
     */
    public static void layerNorm(float[] x, int rows, int cols, float[] gamma, float[] beta, float eps, float[] out) {
        for (int r = 0; r < rows; r++) {
            int row = r * cols;
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += x[row + c];
            }
            double mean = sum / cols;
            double squares = 0;
            for (int c = 0; c < cols; c++) {
                double centred = x[row + c] - mean;
                squares += centred * centred;
            }
            double rstd = 1.0 / Math.sqrt(squares / cols + eps);
            if (gamma == null) {
                for (int c = 0; c < cols; c++) {
                    out[row + c] = (float) ((x[row + c] - mean) * rstd);
                }
                continue;
            }
            for (int c = 0; c < cols; c++) {
                out[row + c] = (float) ((x[row + c] - mean) * rstd) * gamma[c] + beta[c];
            }
        }
    }

    /** Softmax of each row of {@code x[rows, cols]}, in place, shifted by the row maximum. */
    public static void softmaxRows(float[] x, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int row = r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, x[row + c]);
            }
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                float e = (float) Math.exp(x[row + c] - max);
                x[row + c] = e;
                sum += e;
            }
            float inverse = (float) (1.0 / sum);
            for (int c = 0; c < cols; c++) {
                x[row + c] *= inverse;
            }
        }
    }

    /** {@code out[cols, rows] = x[rows, cols]ᵀ}. */
    public static float[] transpose(float[] x, int rows, int cols) {
        float[] out = new float[rows * cols];
        transposeInto(x, rows, cols, out);
        return out;
    }

    /** Writes {@code x[rows, cols]ᵀ} into {@code out[cols, rows]}. */
    public static void transposeInto(float[] x, int rows, int cols, float[] out) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = x[r * cols + c];
            }
        }
    }
}
