package ai.crate.runtime.whitebox;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class CodingRateTest {
    private final SplittableRandom random = new SplittableRandom();

    /** OpenBLAS's {@code dsyrk} and LAPACK's {@code dpotrf} give the Java loops' log-determinant, both Gram forms. */
    @ParameterizedTest
    @CsvSource({"197, 64", "50, 64", "64, 64", "1, 48", "257, 16"})
    void lapackMatchesTheJavaLoops(int rows, int cols) {
        assumeTrue(LapackLogDet.AVAILABLE, "OpenBLAS does not load on this platform");
        double[] x = new double[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextDouble(-1, 1);
        }
        double c = cols / (rows * CodingRate.EPSILON);
        double java = CodingRate.logDetIdentityPlusGram(x.clone(), rows, cols, c);
        double lapack = LapackLogDet.of(x.clone(), rows, cols, c, new double[Math.min(rows, cols) * Math.min(rows,
                cols)]);
        assertThat(lapack).isCloseTo(java, within(1e-9 * Math.abs(java)));
    }

    @Test
    void nonFiniteInputGivesNaN() {
        assumeTrue(LapackLogDet.AVAILABLE, "OpenBLAS does not load on this platform");
        double[] x = new double[20 * 8];
        x[17] = Double.NaN;
        assertThat(LapackLogDet.of(x, 20, 8, 1.0, new double[64])).isNaN();
        x[17] = Double.POSITIVE_INFINITY;
        assertThat(LapackLogDet.of(x, 20, 8, 1.0, new double[64])).isNaN();
    }

    /** The layer's coding rate: heads of orthonormal-ish rows give the closed form {@code ½·Σ_k logdet}. */
    @Test
    void aLayerOfIdenticalTokensHasTheRankOneRate() {
        int tokens = 10;
        int heads = 2;
        int dimHead = 4;
        float[] w = new float[tokens * heads * dimHead];
        for (int r = 0; r < tokens; r++) {
            w[r * heads * dimHead] = 3f;
            w[r * heads * dimHead + dimHead + 1] = -2f;
        }
        double c = dimHead / (tokens * CodingRate.EPSILON);
        double expected = heads * 0.5 * Math.log(1 + c * tokens);
        assertThat(CodingRate.of(w, tokens, heads, dimHead)).isCloseTo(expected, within(1e-9));
    }
}
