package ai.crate.patchify;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class AntialiasKernelTest {
    @Test
    void anAxisThatKeepsItsSizeIsCopiedWithOneTap() {
        AntialiasKernel identity = AntialiasKernel.of(256, 256);
        assertEquals(1, identity.maxTaps());
        for (int i = 0; i < 256; i++) {
            assertEquals(i, identity.first(i));
            assertArrayEquals(new double[] {1.0}, identity.weights(i));
        }
    }

    @Test
    void downscalingWidensTheTriangleAndEachOutputsWeightsSumToOne() {
        AntialiasKernel kernel = AntialiasKernel.of(640, 256);
        assertEquals(5, kernel.maxTaps());
        for (int i = 0; i < 256; i++) {
            double sum = 0;
            for (double w : kernel.weights(i)) {
                sum += w;
            }
            assertEquals(1.0, sum, 1e-12, "output " + i);
        }
    }
}
