package ai.crate.calibration;

import java.util.Locale;

/**
 * How an activation's range ({@code amax}, the magnitude mapped to 127) is chosen from its histogram: {@code max} keeps
 * every value; {@code percentile} clips the largest {@code 100 − p}% of magnitudes; {@code entropy} minimises the KL
 * divergence between the histogram and its 128-level quantization, as TensorRT's entropy calibrator; {@code mse}
 * minimises the expected squared error of rounding and clipping.
 */
public enum CalibrationMethod {
    MAX,
    PERCENTILE,
    ENTROPY,
    MSE;

    /** The fewest bins a candidate range may span: one per positive INT8 level. */
    static final int LEVELS = 128;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static CalibrationMethod fromKey(String key) {
        for (CalibrationMethod method : values()) {
            if (method.key().equals(key.toLowerCase(Locale.ROOT))) {
                return method;
            }
        }
        throw new IllegalArgumentException("unknown calibration method '" + key
                + "': use entropy, percentile, max or mse");
    }

    /** The range for {@code histogram}; {@code percentile} (e.g. 99.99) is used by {@link #PERCENTILE} only. */
    double amax(ActivationHistogram histogram, double percentile) {
        if (histogram.total() == 0) {
            throw new IllegalStateException(histogram.name() + ": no values were collected");
        }
        if (histogram.max() == 0) {
            return 0;
        }
        long[] counts = histogram.counts();
        double width = histogram.binWidth();
        return switch (this) {
            case MAX -> histogram.max();
            case PERCENTILE -> Math.min(histogram.max(), percentileEdge(counts, width, percentile));
            case ENTROPY -> Math.min(histogram.max(), entropyEdge(counts, width));
            case MSE -> Math.min(histogram.max(), mseEdge(counts, width));
        };
    }

    private static double percentileEdge(long[] counts, double width, double percentile) {
        if (!(percentile > 0 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], got " + percentile);
        }
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        double wanted = total * percentile / 100.0;
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= wanted) {
                return (i + 1) * width;
            }
        }
        return counts.length * width;
    }

    /**
     * TensorRT's entropy calibration: for each candidate end bin {@code i ≥ 128}, the reference distribution is the
     * histogram up to {@code i} with everything beyond folded into its last bin; the candidate is that histogram merged
     * into 128 levels and spread back evenly over the bins that were non-empty; the range is the end of the bin with
     * the smallest KL divergence (a candidate that gives an empty level to observed values has an infinite one).
     */
    private static double entropyEdge(long[] counts, double width) {
        int last = lastNonEmpty(counts);
        if (last < LEVELS) {
            return (last + 1) * width;
        }
        double[] p = new double[counts.length];
        double[] q = new double[counts.length];
        double bestDivergence = Double.POSITIVE_INFINITY;
        int best = last + 1;
        for (int i = LEVELS; i <= last + 1; i++) {
            double outliers = 0;
            for (int k = i; k < counts.length; k++) {
                outliers += counts[k];
            }
            for (int k = 0; k < i; k++) {
                p[k] = counts[k];
            }
            p[i - 1] += outliers;
            int perLevel = i / LEVELS;
            for (int level = 0; level < LEVELS; level++) {
                int start = level * perLevel;
                int end = level == LEVELS - 1 ? i : start + perLevel;
                double sum = 0;
                int nonEmpty = 0;
                for (int k = start; k < end; k++) {
                    sum += counts[k];
                    if (counts[k] != 0) {
                        nonEmpty++;
                    }
                }
                for (int k = start; k < end; k++) {
                    q[k] = counts[k] != 0 ? sum / nonEmpty : 0;
                }
            }
            double divergence = klDivergence(p, q, i);
            if (divergence < bestDivergence) {
                bestDivergence = divergence;
                best = i;
            }
        }
        return best * width;
    }

    private static double klDivergence(double[] p, double[] q, int n) {
        double pSum = 0;
        double qSum = 0;
        for (int k = 0; k < n; k++) {
            pSum += p[k];
            qSum += q[k];
        }
        double divergence = 0;
        for (int k = 0; k < n; k++) {
            if (p[k] == 0) {
                continue;
            }
            double pk = p[k] / pSum;
            double qk = q[k] / qSum;
            if (qk == 0) {
                return Double.POSITIVE_INFINITY;
            }
            divergence += pk * Math.log(pk / qk);
        }
        return divergence;
    }

    /** The bin edge whose range gives the least squared error over the histogram (bin centres as the values). */
    private static double mseEdge(long[] counts, double width) {
        int last = lastNonEmpty(counts);
        double bestError = Double.POSITIVE_INFINITY;
        int best = last + 1;
        for (int i = Math.min(LEVELS, last + 1); i <= last + 1; i++) {
            double amax = i * width;
            double scale = amax / 127;
            double error = 0;
            for (int k = 0; k <= last; k++) {
                if (counts[k] == 0) {
                    continue;
                }
                double x = (k + 0.5) * width;
                double dequantized = Math.min(127, Math.rint(x / scale)) * scale;
                error += counts[k] * (x - dequantized) * (x - dequantized);
            }
            if (error < bestError) {
                bestError = error;
                best = i;
            }
        }
        return best * width;
    }

    private static int lastNonEmpty(long[] counts) {
        for (int i = counts.length - 1; i >= 0; i--) {
            if (counts[i] != 0) {
                return i;
            }
        }
        return 0;
    }
}
