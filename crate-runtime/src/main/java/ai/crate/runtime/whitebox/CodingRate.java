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
        int length = byColumns ? rows : cols;
        double[] vectors = byColumns ? transpose(x, rows, cols) : x;
        double[] g = new double[m * m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j <= i; j++) {
                double value = c * dot(vectors, i * length, j * length, length) + (i == j ? 1.0 : 0.0);
                g[i * m + j] = value;
                g[j * m + i] = value;
            }
        }
        return choleskyLogDet(g, m);
    }

    /** A dot product with four partial sums, so the JIT can keep four multiply-adds in flight. */
    private static double dot(double[] v, int a, int b, int length) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int q = 0;
        for (; q + 3 < length; q += 4) {
            s0 += v[a + q] * v[b + q];
            s1 += v[a + q + 1] * v[b + q + 1];
            s2 += v[a + q + 2] * v[b + q + 2];
            s3 += v[a + q + 3] * v[b + q + 3];
        }
        for (; q < length; q++) {
            s0 += v[a + q] * v[b + q];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static double[] transpose(double[] x, int rows, int cols) {
        double[] t = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int q = 0; q < cols; q++) {
                t[q * rows + r] = x[r * cols + q];
            }
        }
        return t;
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
