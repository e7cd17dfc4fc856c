package ai.crate.runtime.model;

import java.util.stream.IntStream;

/**
 * The spec's exact-in-real-arithmetic rewrites, computed in double and rounded once: the ISTA step as one matrix
 * {@code M = I + η·(D − Dᵀ·D)}, and a LayerNorm's affine part folded into the product after it
 * ({@code (n∘γ + β)·W = n·(diag(γ)·W) + β·W}). Matrices are row-major {@code [in, out]}, the layout of {@code x·W}.
 */
public final class Folds {
    private Folds() {
    }

    /** A folded linear map {@code x ↦ x·weight + bias}, weight {@code [in, out]}. */
    public record Affine(float[] weight, float[] bias, int in, int out) {
    }

    /**
     * {@code M = I + η·(D − Dᵀ·D)} for the stored dictionary {@code D [d, d]}, so that
     * {@code y + η·(y·D − y·Dᵀ·D) = y·M}.
     */
    public static double[] istaMatrix(float[] dictionary, int d, double eta) {
        double[] gram = new double[d * d];
        IntStream.range(0, d).parallel().forEach(i -> {
            double[] row = new double[d];
            for (int k = 0; k < d; k++) {
                double dki = dictionary[k * d + i];
                int base = k * d;
                for (int j = i; j < d; j++) {
                    row[j] += dki * dictionary[base + j];
                }
            }
            for (int j = i; j < d; j++) {
                gram[i * d + j] = row[j];
                gram[j * d + i] = row[j];
            }
        });
        double[] m = new double[d * d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                m[i * d + j] = (i == j ? 1.0 : 0.0) + eta * (dictionary[i * d + j] - gram[i * d + j]);
            }
        }
        return m;
    }

    /**
     * Folds a LayerNorm affine ({@code gamma}, {@code beta}) into the following {@code x·W + b}: returns
     * {@code diag(γ)·W} and {@code β·W + b - shift}. {@code bias} may be null (no bias); {@code shift} is subtracted
     * from every output (the ISTA threshold {@code η·λ}, or 0).
     */
    public static Affine foldLayerNorm(float[] gamma, float[] beta, double[] weight, int in, int out, float[] bias,
            double shift) {
        float[] w = new float[in * out];
        double[] b = new double[out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                double wij = weight[i * out + j];
                w[i * out + j] = (float) (gamma[i] * wij);
                b[j] += beta[i] * wij;
            }
        }
        float[] folded = new float[out];
        for (int j = 0; j < out; j++) {
            folded[j] = (float) (b[j] + (bias == null ? 0 : bias[j]) - shift);
        }
        return new Affine(w, folded, in, out);
    }

    /** {@code Wᵀ} of a stored {@code Linear} weight {@code [out, in]}, as doubles in {@code [in, out]} layout. */
    public static double[] transposed(float[] weight, int out, int in) {
        double[] t = new double[in * out];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                t[i * out + o] = weight[o * in + i];
            }
        }
        return t;
    }
}
