package ai.crate.runtime.whitebox;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The statistics of {@link DriftDetector}: its quantiles, its window, its hysteresis. */
class DriftDetectorTest {
    /** Two layers, coding rate 100 ± 10 and sparsity 0.5 ± 0.02, independent. */
    private static WhiteBoxReference reference() {
        double[][] covariance = new double[4][4];
        covariance[0][0] = 100;
        covariance[1][1] = 100;
        covariance[2][2] = 0.0004;
        covariance[3][3] = 0.0004;
        return new WhiteBoxReference("synthetic", 1000, List.of(new LayerStats(0, 100, 10, 0.5, 0.02),
                new LayerStats(1, 100, 10, 0.5, 0.02)), covariance);
    }

    @Test
    void quantilesMatchTheTables() {
        assertThat(DriftDetector.normalQuantile(0.975)).isCloseTo(1.959964, within(1e-5));
        assertThat(DriftDetector.normalQuantile(0.0001)).isCloseTo(-3.719016, within(1e-5));
        assertThat(DriftDetector.chiSquareQuantile(10, 0.05)).isCloseTo(18.307, within(0.05));
        assertThat(DriftDetector.chiSquareQuantile(8, 1e-4)).as("within 2%").isCloseTo(31.83, within(0.64));
    }

    @Test
    void stationaryFiguresNeverDriftAndAShiftDriftsAtOnceThenClears() {
        DriftDetector detector = new DriftDetector(reference(), 5, 1e-4);
        SplittableRandom random = new SplittableRandom(1);
        List<DriftDetector.Verdict> quiet = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            detector.add(new double[] {100 + 10 * random.nextGaussian(), 100 + 10 * random.nextGaussian()},
                    new double[] {0.5 + 0.02 * random.nextGaussian(), 0.5 + 0.02 * random.nextGaussian()})
                    .ifPresent(quiet::add);
        }
        assertThat(quiet).hasSize(4996).noneMatch(DriftDetector.Verdict::drifting);

        List<DriftDetector.Verdict> shifted = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            shifted.add(detector.add(new double[] {100, 100}, new double[] {0.62, 0.5}).orElseThrow());
        }
        DriftDetector.Verdict start = shifted.stream().filter(DriftDetector.Verdict::changed).findFirst()
                .orElseThrow();
        assertThat(start.drifting()).isTrue();
        assertThat(start.layer()).isZero();
        assertThat(start.figure()).isEqualTo("sparsity");
        assertThat(shifted.get(4).distance()).isGreaterThan(5.5);

        DriftDetector.Verdict last = null;
        for (int i = 0; i < 5; i++) {
            last = detector.add(new double[] {100, 100}, new double[] {0.5, 0.5}).orElseThrow();
        }
        assertThat(last.drifting()).as("back to the reference for a whole window").isFalse();
    }

    @Test
    void badSettingsAndMismatchedReferencesAreRefused() {
        assertThatThrownBy(() -> new DriftDetector(reference(), 1, 1e-4)).hasMessageContaining("at least 2");
        assertThatThrownBy(() -> new WhiteBoxReference("x", 10, List.of(new LayerStats(0, 1, 1, 1, 1)),
                new double[3][3])).hasMessageContaining("needs a 2×2 covariance");
    }
}
