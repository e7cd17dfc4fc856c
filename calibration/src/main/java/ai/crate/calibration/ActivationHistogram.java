package ai.crate.calibration;

/**
 * Counts of one activation's magnitudes in {@value #BINS} equal bins over {@code [0, range)}. The range is a power of
 * two above every value seen: it starts above the first values and doubles (pairs of bins merge) whenever a value
 * reaches it, so one pass over the data suffices. With power-of-two ranges every bin index is computed exactly, and a
 * merged bin holds what binning at the wider range would have put there, so the histogram does not depend on the
 * order of its values: observers that engines call from several threads at once give the same counts. Thread-safe.
 */
final class ActivationHistogram {
    static final int BINS = 2048;
    private final String name;
    private final long[] counts = new long[BINS];
    private double range;
    private double max;
    private long total;

    ActivationHistogram(String name) {
        this.name = name;
    }

    synchronized void add(float[] values, int offset, int length) {
        double largest = 0;
        for (int i = offset; i < offset + length; i++) {
            float v = values[i];
            if (!Float.isFinite(v)) {
                throw new IllegalStateException(name + " holds " + v + "; calibration needs finite activations"
                        + " (check the model's weights and the input preprocessing)");
            }
            largest = Math.max(largest, Math.abs(v));
        }
        grow(largest);
        for (int i = offset; i < offset + length; i++) {
            counts[bin(Math.abs(values[i]))]++;
        }
        max = Math.max(max, largest);
        total += length;
    }

    private int bin(double magnitude) {
        return range == 0 ? 0 : (int) Math.min(BINS - 1, magnitude / range * BINS);
    }

    private void grow(double needed) {
        if (needed == 0) {
            return;
        }
        if (range == 0) {
            range = Math.scalb(1.0, Math.getExponent(needed) + 1);
            return;
        }
        while (needed >= range) {
            for (int i = 0; i < BINS / 2; i++) {
                counts[i] = counts[2 * i] + counts[2 * i + 1];
            }
            java.util.Arrays.fill(counts, BINS / 2, BINS, 0);
            range *= 2;
        }
    }

    String name() {
        return name;
    }

    synchronized long[] counts() {
        return counts.clone();
    }

    synchronized double binWidth() {
        return range / BINS;
    }

    synchronized double max() {
        return max;
    }

    synchronized long total() {
        return total;
    }
}
