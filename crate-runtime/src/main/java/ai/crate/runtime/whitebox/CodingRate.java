package ai.crate.runtime.whitebox;

/**
 * The compression term of one layer for one image: the projection {@code w [T, K·p]} split into K heads, each token
 * row normalised to unit length ({@code X̂_k}), and {@code R_c = Σ_k ½·logdet(I_T + p/(T·ε)·X̂_k·X̂_kᵀ)} with
 * ε = 0.01. Computed in double through the smaller of the two equal Gram forms ({@code det(I + cAAᵀ) = det(I + cAᵀA)});
 * NaN when {@code w} holds non-finite values.
 */
public final class CodingRate {
    public static final double EPSILON = 0.01;
    private static final double NORM_FLOOR = 1e-12;

    private CodingRate() {
    }

    public static double of(float[] w, int tokens, int heads, int dimHead) {
        int inner = heads * dimHead;
        double c = dimHead / (tokens * EPSILON);
        double total = 0;
        double[] x = new double[tokens * dimHead];
        for (int k = 0; k < heads; k++) {
            for (int r = 0; r < tokens; r++) {
                double norm = 0;
                for (int j = 0; j < dimHead; j++) {
                    double v = w[r * inner + k * dimHead + j];
                    norm += v * v;
                }
                double inverse = 1.0 / Math.max(Math.sqrt(norm), NORM_FLOOR);
                for (int j = 0; j < dimHead; j++) {
                    x[r * dimHead + j] = w[r * inner + k * dimHead + j] * inverse;
                }
            }
            total += 0.5 * logDetIdentityPlusGram(x, tokens, dimHead, c);
        }
        return total;
    }

    /** {@code logdet(I + c·X·Xᵀ)} for {@code X [rows, cols]}, via Cholesky of the smaller Gram matrix. */
    static double logDetIdentityPlusGram(double[] x, int rows, int cols, double c) {
        boolean byColumns = cols <= rows;
        int m = byColumns ? cols : rows;
        double[] g = new double[m * m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j <= i; j++) {
                double dot = 0;
                if (byColumns) {
                    for (int r = 0; r < rows; r++) {
                        dot += x[r * cols + i] * x[r * cols + j];
                    }
                } else {
                    for (int q = 0; q < cols; q++) {
                        dot += x[i * cols + q] * x[j * cols + q];
                    }
                }
                double value = c * dot + (i == j ? 1.0 : 0.0);
                g[i * m + j] = value;
                g[j * m + i] = value;
            }
        }
        return choleskyLogDet(g, m);
    }

    /** {@code logdet} of a symmetric positive definite matrix, destroying it; NaN if it is not (non-finite input). */
    static double choleskyLogDet(double[] a, int n) {
        double logDet = 0;
        for (int j = 0; j < n; j++) {
            double diagonal = a[j * n + j];
            for (int q = 0; q < j; q++) {
                diagonal -= a[j * n + q] * a[j * n + q];
            }
            if (!(diagonal > 0)) {
                return Double.NaN;
            }
            double l = Math.sqrt(diagonal);
            a[j * n + j] = l;
            logDet += 2 * Math.log(l);
            for (int i = j + 1; i < n; i++) {
                double s = a[i * n + j];
                for (int q = 0; q < j; q++) {
                    s -= a[i * n + q] * a[j * n + q];
                }
                a[i * n + j] = s / l;
            }
        }
        return logDet;
    }
}
