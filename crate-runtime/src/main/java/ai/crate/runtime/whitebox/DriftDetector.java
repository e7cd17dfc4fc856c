package ai.crate.runtime.whitebox;

import java.util.Optional;

/**
 * Drift of one stream (one camera) against a model's {@link WhiteBoxReference}. Feed it the per-layer coding rates
 * and sparsities of the stream's sampled frames; once {@code window} frames are in, each frame gets a verdict.
 *
 * <p>The test: {@code D}, the Mahalanobis distance of the window's mean figures from the reference mean under the
 * reference's per-image covariance (ridge 1% of the diagonal). Drift starts when {@code D²} exceeds the
 * {@code 1 − alpha} quantile of χ² with {@code 2·depth} degrees of freedom (Wilson–Hilferty), i.e. when the
 * window's mean would be a 1-in-{@code 1/alpha} outlier even as a single reference image, and ends when {@code D}
 * falls below half that distance. The quantile is taken for one image, not for a mean of {@code window} independent
 * ones, on purpose: a camera's consecutive frames are strongly correlated, and a quiet scene or a single class must
 * not look like drift. Not thread-safe: one per stream.
 */
public final class DriftDetector {
    /** Default frames in the window. */
    public static final int WINDOW = 20;
    /**
     * Default false-alarm level of one window, as if it were one reference image. On the demo model (8 figures) the
     * threshold is then D = 4.49; the unshifted test clip's windows reach 3.54, the shifted clip's first 7.80.
     */
    public static final double ALPHA = 1e-2;

    private final int depth;
    private final double[] means;
    private final double[][] inverse;
    private final double[] scale;
    private final int window;
    private final double threshold;
    private final double[][] figures;
    private long seen;
    private boolean drifting;

    /**
     * What the latest frame says: the distance {@code D}, the threshold, the figure that moved most (in reference
     * standard deviations), and whether drift started or ended with this frame.
     */
    public record Verdict(boolean drifting, boolean changed, double distance, double threshold, int layer,
                          String figure, long frames) {
    }

    public DriftDetector(WhiteBoxReference reference, int window, double alpha) {
        if (window < 2 || !(alpha > 0 && alpha < 0.5)) {
            throw new IllegalArgumentException("drift window must be at least 2 and alpha in (0, 0.5), got " + window
                    + " and " + alpha);
        }
        this.depth = reference.layers().size();
        this.means = reference.means();
        int k = means.length;
        double[][] ridged = new double[k][k];
        scale = new double[k];
        for (int i = 0; i < k; i++) {
            ridged[i] = reference.covariance()[i].clone();
            ridged[i][i] += 0.01 * reference.covariance()[i][i] + 1e-12;
            scale[i] = Math.sqrt(ridged[i][i]);
        }
        this.inverse = invert(ridged);
        this.window = window;
        this.threshold = Math.sqrt(chiSquareQuantile(k, alpha));
        this.figures = new double[window][k];
    }

    /**
     * Starts this detector as drifting, for a stream that was drifting when its previous detector was checkpointed:
     * its first verdict then reports the end of drift as a change, and a drift that goes on is not reported again.
     */
    public void resumeDrifting() {
        drifting = true;
    }

    /** Whether the stream is drifting after the frames so far. */
    public boolean drifting() {
        return drifting;
    }

    /** The distance above which drift starts. */
    public double threshold() {
        return threshold;
    }

    /** Adds one sampled frame's figures ({@code [depth]} each); empty until the window is full. */
    public Optional<Verdict> add(double[] codingRate, double[] sparsity) {
        double[] slot = figures[(int) (seen % window)];
        System.arraycopy(codingRate, 0, slot, 0, depth);
        System.arraycopy(sparsity, 0, slot, depth, depth);
        seen++;
        if (seen < window) {
            return Optional.empty();
        }
        int k = means.length;
        double[] delta = new double[k];
        for (double[] f : figures) {
            for (int j = 0; j < k; j++) {
                delta[j] += f[j] / window;
            }
        }
        int worst = 0;
        for (int j = 0; j < k; j++) {
            delta[j] -= means[j];
            if (Math.abs(delta[j]) / scale[j] > Math.abs(delta[worst]) / scale[worst]) {
                worst = j;
            }
        }
        double squared = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                squared += delta[i] * inverse[i][j] * delta[j];
            }
        }
        double distance = Math.sqrt(Math.max(0, squared));
        boolean before = drifting;
        drifting = drifting ? distance > threshold / 2 : distance > threshold;
        return Optional.of(new Verdict(drifting, drifting != before, distance, threshold, worst % depth,
                worst < depth ? "coding_rate" : "sparsity", seen));
    }

    /**
     * The {@code 1 − alpha} quantile of χ² with {@code k} degrees of freedom, by Wilson and Hilferty's cube-root
     * normal approximation (within 2% for k ≥ 4 down to alpha = 1e-4: 32.3 for the table's 31.8 at k = 8).
     */
    static double chiSquareQuantile(int k, double alpha) {
        double z = normalQuantile(1 - alpha);
        double h = 2.0 / (9.0 * k);
        double cube = 1 - h + z * Math.sqrt(h);
        return k * cube * cube * cube;
    }

    /** Acklam's rational approximation of the standard normal quantile (relative error below 1.2e-9). */
    static double normalQuantile(double p) {
        double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
        double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                6.680131188771972e+01, -1.328068155288572e+01};
        double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
        double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                3.754408661907416e+00};
        double low = 0.02425;
        if (p < low) {
            double q = Math.sqrt(-2 * Math.log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low) {
            return -normalQuantile(1 - p);
        }
        double q = p - 0.5;
        double r = q * q;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }

    /** Gauss–Jordan inverse with partial pivoting of a symmetric positive definite matrix. */
    private static double[][] invert(double[][] m) {
        int n = m.length;
        double[][] a = new double[n][2 * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(m[i], 0, a[i], 0, n);
            a[i][n + i] = 1;
        }
        for (int c = 0; c < n; c++) {
            int pivot = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) {
                    pivot = r;
                }
            }
            double[] swap = a[c];
            a[c] = a[pivot];
            a[pivot] = swap;
            double v = a[c][c];
            for (int j = 0; j < 2 * n; j++) {
                a[c][j] /= v;
            }
            for (int r = 0; r < n; r++) {
                if (r != c) {
                    double f = a[r][c];
                    for (int j = 0; j < 2 * n; j++) {
                        a[r][j] -= f * a[c][j];
                    }
                }
            }
        }
        double[][] inverse = new double[n][n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], n, inverse[i], 0, n);
        }
        return inverse;
    }
}
