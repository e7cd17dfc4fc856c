package ai.crate.calibration;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CalibrationMethodTest {
    @Test
    void theRangeDoublesExactlySoEarlyValuesKeepTheirCounts() {
        ActivationHistogram histogram = new ActivationHistogram("t");
        histogram.add(new float[] {1f, 0.5f, 0.25f}, 0, 3);
        histogram.add(new float[] {-3f}, 0, 1);
        long[] counts = histogram.counts();
        assertThat(histogram.binWidth()).isEqualTo(4.0 / ActivationHistogram.BINS);
        assertThat(counts[ActivationHistogram.BINS / 4]).isEqualTo(1);
        assertThat(counts[ActivationHistogram.BINS / 8]).isEqualTo(1);
        assertThat(counts[ActivationHistogram.BINS / 16]).isEqualTo(1);
        assertThat(counts[3 * ActivationHistogram.BINS / 4]).isEqualTo(1);
        assertThat(histogram.total()).isEqualTo(4);
        assertThat(histogram.max()).isEqualTo(3.0);
    }

    @Test
    void theCountsDoNotDependOnTheOrderOfTheValues() {
        SplittableRandom random = new SplittableRandom(11);
        float[][] chunks = new float[6][];
        for (int c = 0; c < chunks.length; c++) {
            chunks[c] = new float[500];
            double spread = Math.pow(3, c);
            for (int i = 0; i < chunks[c].length; i++) {
                chunks[c][i] = (float) (random.nextGaussian() * spread);
            }
        }
        chunks[2][7] = 8f;
        ActivationHistogram rising = new ActivationHistogram("rising");
        ActivationHistogram falling = new ActivationHistogram("falling");
        for (int c = 0; c < chunks.length; c++) {
            rising.add(chunks[c], 0, chunks[c].length);
            falling.add(chunks[chunks.length - 1 - c], 0, chunks[c].length);
        }
        assertThat(falling.binWidth()).isEqualTo(rising.binWidth());
        assertThat(falling.counts()).containsExactly(rising.counts());
        assertThat(falling.max()).isEqualTo(rising.max());
    }

    @Test
    void maxKeepsEveryValueAndPercentileClipsTheTail() {
        ActivationHistogram histogram = gaussianWithOutliers();
        assertThat(CalibrationMethod.MAX.amax(histogram, 0)).isEqualTo(50.0);
        double p9999 = CalibrationMethod.PERCENTILE.amax(histogram, 99.99);
        assertThat(p9999).isBetween(3.5, 4.5);
        assertThat(CalibrationMethod.PERCENTILE.amax(histogram, 100)).isCloseTo(50.0, within(0.1));
    }

    @Test
    void entropyIgnoresRareOutliersWhileMseWeighsTheirSquaredClippingError() {
        ActivationHistogram histogram = gaussianWithOutliers();
        double entropy = CalibrationMethod.ENTROPY.amax(histogram, 0);
        double mse = CalibrationMethod.MSE.amax(histogram, 0);
        assertThat(entropy).isBetween(3.0, 5.0);
        assertThat(mse).isGreaterThan(entropy).isLessThan(50.0);
        ActivationHistogram gaussian = new ActivationHistogram("plain");
        float[] values = new float[100_000];
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        gaussian.add(values, 0, values.length);
        assertThat(CalibrationMethod.MSE.amax(gaussian, 0)).isBetween(2.5, gaussian.max());
    }

    @Test
    void aTensorOfZerosGetsAZeroRangeAndNoDataIsAnError() {
        ActivationHistogram zeros = new ActivationHistogram("zeros");
        zeros.add(new float[8], 0, 8);
        for (CalibrationMethod method : CalibrationMethod.values()) {
            assertThat(method.amax(zeros, 99.9)).isZero();
        }
        assertThatThrownBy(() -> CalibrationMethod.ENTROPY.amax(new ActivationHistogram("empty"), 0))
                .hasMessageContaining("empty: no values were collected");
    }

    @Test
    void nonFiniteActivationsAreRefusedNamingTheTensor() {
        ActivationHistogram histogram = new ActivationHistogram("layer3/norm2");
        assertThatThrownBy(() -> histogram.add(new float[] {1f, Float.NaN}, 0, 2))
                .hasMessageContaining("layer3/norm2 holds NaN");
    }

    @Test
    void methodsAreNamedByKeyAndUnknownOnesListTheChoices() {
        assertThat(CalibrationMethod.fromKey("Entropy")).isEqualTo(CalibrationMethod.ENTROPY);
        assertThatThrownBy(() -> CalibrationMethod.fromKey("kl")).hasMessageContaining("entropy, percentile, max or mse");
    }

    private static ActivationHistogram gaussianWithOutliers() {
        ActivationHistogram histogram = new ActivationHistogram("gaussian");
        SplittableRandom random = new SplittableRandom(3);
        float[] values = new float[200_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        values[0] = 50f;
        values[1] = -30f;
        histogram.add(values, 0, values.length);
        return histogram;
    }
}
