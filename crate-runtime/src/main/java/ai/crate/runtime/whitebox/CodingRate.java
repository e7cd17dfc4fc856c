package ai.crate.runtime.whitebox;

/**
 * The compression term of one layer for one image: the projection {@code w [T, K·p]} split into K heads, each token
 * row normalised to unit length ({@code X̂_k}), and {@code R_c = Σ_k ½·logdet(I_T + p/(T·ε)·X̂_k·X̂_kᵀ)} with
 * ε = 0.01. Computed in double through the smaller of the two equal Gram forms ({@code det(I + cAAᵀ) = det(I + cAᵀA)}),
 * by OpenBLAS and LAPACK where they load ({@link LapackLogDet}) and by Java loops elsewhere; NaN when {@code w} holds
 * non-finite values.
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
        double[] gram = LapackLogDet.AVAILABLE ? new double[Math.min(tokens, dimHead) * Math.min(tokens, dimHead)]
                : null;
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
            total += 0.5 * (gram != null ? LapackLogDet.of(x, tokens, dimHead, c, gram)
                    : logDetIdentityPlusGram(x, tokens, dimHead, c));
        }
        return total;
    }

    /**
     * {@code logdet(I + c·X·Xᵀ)} for {@code X [rows, cols]}, via Cholesky of the smaller Gram matrix. The Gram's lower
     * triangle is accumulated from four samples at a time, so each pass over it does four rank-1 updates over
     * contiguous memory.
     */
    static double logDetIdentityPlusGram(double[] x, int rows, int cols, double c) {
        boolean byColumns = cols <= rows;
        int m = byColumns ? cols : rows;
        int samples = byColumns ? rows : cols;
        double[] vectors = byColumns ? x : transpose(x, rows, cols);
        double[] g = new double[m * m];
        int s = 0;
        for (; s + 3 < samples; s += 4) {
            int v0 = s * m;
            int v1 = v0 + m;
            int v2 = v1 + m;
            int v3 = v2 + m;
            for (int i = 0; i < m; i++) {
                double a0 = c * vectors[v0 + i];
                double a1 = c * vectors[v1 + i];
                double a2 = c * vectors[v2 + i];
                double a3 = c * vectors[v3 + i];
                int row = i * m;
                for (int j = 0; j <= i; j++) {
                    g[row + j] += a0 * vectors[v0 + j] + a1 * vectors[v1 + j] + a2 * vectors[v2 + j]
                            + a3 * vectors[v3 + j];
                }
            }
        }
        for (; s < samples; s++) {
            int v0 = s * m;
            for (int i = 0; i < m; i++) {
                double a0 = c * vectors[v0 + i];
                int row = i * m;
                for (int j = 0; j <= i; j++) {
                    g[row + j] += a0 * vectors[v0 + j];
                }
            }
        }
        for (int i = 0; i < m; i++) {
            g[i * m + i] += 1.0;
        }
        return choleskyLogDet(g, m);
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

    /**
     * {@code logdet} of a symmetric positive definite matrix (its lower triangle is read), destroying it; NaN if it is
     * not (non-finite input). Right-looking: each column, once scaled, updates the rows below it with contiguous loops.
     */
    static double choleskyLogDet(double[] a, int n) {
        double logDet = 0;
        double[] column = new double[n];
        for (int j = 0; j < n; j++) {
            double diagonal = a[j * n + j];
            if (!(diagonal > 0)) {
                return Double.NaN;
            }
            double l = Math.sqrt(diagonal);
            logDet += 2 * Math.log(l);
            for (int i = j + 1; i < n; i++) {
                column[i] = a[i * n + j] / l;
            }
            for (int i = j + 1; i < n; i++) {
                double lij = column[i];
                int row = i * n;
                for (int k = j + 1; k <= i; k++) {
                    a[row + k] -= lij * column[k];
                }
            }
        }
        return logDet;
    }
}
