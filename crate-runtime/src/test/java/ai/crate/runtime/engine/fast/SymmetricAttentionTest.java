package ai.crate.runtime.engine.fast;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SymmetricAttention} against a double-precision softmax attention on random heads drawn fresh each run (the
 * seed is printed), for token counts and head widths that do and do not fill whole blocks and vectors, with the other
 * heads' columns around it left untouched; and its refusal, writing nothing, when one shift cannot serve every row.
 */
class SymmetricAttentionTest {
    private static final long SEED = System.nanoTime();

    @ParameterizedTest(name = "{0} tokens, head width {1}")
    @CsvSource({"197, 64", "65, 64", "17, 48", "50, 32", "8, 16", "1, 64", "257, 80", "23, 20"})
    void matchesDoublePrecisionAttention(int tokens, int width) {
        int ld = 3 * width;
        long offset = width;
        SplittableRandom random = new SplittableRandom(SEED + 31L * tokens + width);
        SymmetricAttention attention = new SymmetricAttention(tokens, width);
        try (NativeFloats w = new NativeFloats((long) tokens * ld);
                NativeFloats out = new NativeFloats((long) tokens * ld)) {
            for (int round = 0; round < 3; round++) {
                float[] values = new float[tokens * ld];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (random.nextGaussian() * 0.4);
                }
                w.put(0, values, 0, values.length);
                float[] sentinel = new float[tokens * ld];
                java.util.Arrays.fill(sentinel, 7f);
                out.put(0, sentinel, 0, sentinel.length);
                float scale = (float) Math.pow(width, -0.5);

                assertThat(attention.apply(w, offset, ld, scale, 60f, out)).as("seed %d", SEED).isTrue();

                float[] result = new float[tokens * ld];
                out.get(0, result, 0, result.length);
                double worst = 0;
                for (int r = 0; r < tokens; r++) {
                    double[] expected = reference(values, r, tokens, width, ld, (int) offset, scale);
                    for (int c = 0; c < ld; c++) {
                        float got = result[r * ld + c];
                        if (c < offset || c >= offset + width) {
                            assertThat(got).as("column %d of row %d is outside the head", c, r).isEqualTo(7f);
                        } else {
                            double want = expected[c - (int) offset];
                            worst = Math.max(worst, Math.abs(got - want) / Math.max(1e-2, Math.abs(want)));
                        }
                    }
                }
                assertThat(worst).as("largest relative error, seed %d", SEED).isLessThan(1e-5);
            }
        }
    }

    @ParameterizedTest(name = "{0} tokens")
    @CsvSource({"197", "9"})
    void refusesWithoutWritingWhenARowLiesFarBelowTheSharedShift(int tokens) {
        int width = 64;
        SplittableRandom random = new SplittableRandom(SEED);
        float[] values = new float[tokens * width];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * (i < width ? 40 : 0.1));
        }
        try (NativeFloats w = new NativeFloats(values.length); NativeFloats out = new NativeFloats(values.length)) {
            w.put(0, values, 0, values.length);
            float[] sentinel = new float[values.length];
            java.util.Arrays.fill(sentinel, 7f);
            out.put(0, sentinel, 0, sentinel.length);

            assertThat(new SymmetricAttention(tokens, width).apply(w, 0, width, 0.125f, 60f, out)).isFalse();

            float[] result = new float[values.length];
            out.get(0, result, 0, result.length);
            assertThat(result).containsOnly(7f);
        }
    }

    private static double[] reference(float[] w, int row, int tokens, int width, int ld, int offset, float scale) {
        double[] scores = new double[tokens];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < tokens; j++) {
            double dot = 0;
            for (int k = 0; k < width; k++) {
                dot += (double) w[row * ld + offset + k] * w[j * ld + offset + k];
            }
            scores[j] = dot * scale;
            max = Math.max(max, scores[j]);
        }
        double sum = 0;
        for (int j = 0; j < tokens; j++) {
            scores[j] = Math.exp(scores[j] - max);
            sum += scores[j];
        }
        double[] out = new double[width];
        for (int j = 0; j < tokens; j++) {
            for (int k = 0; k < width; k++) {
                out[k] += scores[j] / sum * w[j * ld + offset + k];
            }
        }
        return out;
    }
}
