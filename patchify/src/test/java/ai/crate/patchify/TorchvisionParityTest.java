package ai.crate.patchify;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real photographs through patchify against torchvision 0.14: the PIL pipeline models are trained with (uint8
 * rounding after each resize pass, so a mean difference well under one level) and the float tensor path with
 * {@code antialias=True} (no rounding, so equal to float precision).
 */
class TorchvisionParityTest {
    private static final PreprocessSpec SPEC = PreprocessSpec.imagenet(224);

    static Stream<Arguments> photos() {
        return Photos.ALL.stream().map(p -> Arguments.of(p[0], p[1]));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("photos")
    void matchesThePilPipelineWithinOneLevelOnAverage(String name, String file) throws Exception {
        float[] ours;
        try (Patchifier patchifier = Patchifier.fast(SPEC)) {
            ours = patchifier.patchify(Photos.frame(file));
        }
        int[][][] expected = Photos.torchvision(name);
        double sum = 0;
        double max = 0;
        int plane = 224 * 224;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 224; y++) {
                for (int x = 0; x < 224; x++) {
                    double pixel = (ours[c * plane + y * 224 + x] * SPEC.preprocessing().std()[c]
                            + SPEC.preprocessing().mean()[c]) * 255.0;
                    double difference = Math.abs(pixel - expected[y][x][c]);
                    sum += difference;
                    max = Math.max(max, difference);
                }
            }
        }
        double mean = sum / (3.0 * plane);
        System.out.printf("%s: mean |ours - PIL| = %.3f levels, max %.3f%n", name, mean, max);
        assertThat(mean).as("mean absolute difference in 8-bit levels").isLessThan(1.0);
        assertThat(max).as("largest difference in 8-bit levels").isLessThan(3.0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("photos")
    void matchesTheAntialiasedTensorPathToFloatPrecision(String name, String file) throws Exception {
        float[] ours;
        try (Patchifier patchifier = Patchifier.fast(SPEC)) {
            ours = patchifier.patchify(Photos.frame(file));
        }
        double max = 0;
        for (double[] sample : Photos.tensorSamples(name)) {
            int index = ((int) sample[0] * 224 + (int) sample[1]) * 224 + (int) sample[2];
            max = Math.max(max, Math.abs(ours[index] - sample[3]));
        }
        System.out.printf("%s: max |ours - torchvision tensor path| = %.2e%n", name, max);
        assertThat(max).isLessThan(1e-4);
    }
}
