package ai.crate.runtime.engine.tensorrt;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Presets;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.ReferenceEngine;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.testing.FixtureWeights;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * On a machine with a GPU and TensorRT 10: CRATE-T builds in FP32 and FP16, matches the reference engine (FP32 to
 * 1e-3 relative, FP16 to 5e-2), and a second engine reuses the cached plan. Skipped elsewhere with the probe's reason.
 */
class TensorRtGpuITCase {
    @TempDir
    static Path cache;

    @BeforeEach
    void needsGpu() {
        TensorRtProbe.Result probe = TensorRtProbe.probe();
        assumeTrue(probe.available(), "no TensorRT GPU here: " + probe.reason());
    }

    @Test
    void crateTinyMatchesTheReferenceAndReusesTheCachedPlan() throws Exception {
        CrateConfig config = Presets.tiny();
        CrateWeights weights = FixtureWeights.weights(config);
        float[] images = FixtureWeights.input(config, 2);
        float[] expected;
        try (ReferenceEngine reference = new ReferenceEngine(weights, EngineOptions.defaults())) {
            expected = reference.forward(images, 2);
        }
        for (String precision : List.of("fp32", "fp16")) {
            EngineOptions options = new EngineOptions(1).withPrecision(precision).withBatchSizes(List.of(1, 4))
                    .withCacheDirectory(cache);
            float[] first;
            long start = System.nanoTime();
            try (TensorRtEngine engine = new TensorRtEngine(weights, options)) {
                first = engine.forward(images, 2);
            }
            long built = System.nanoTime() - start;
            start = System.nanoTime();
            float[] second;
            try (TensorRtEngine engine = new TensorRtEngine(weights, options)) {
                second = engine.forward(images, 2);
            }
            long cached = System.nanoTime() - start;
            System.out.printf("tensorrt %s: build+run %d ms, cached load+run %d ms%n", precision, built / 1_000_000,
                    cached / 1_000_000);
            assertThat(second).containsExactly(first);
            double tolerance = precision.equals("fp32") ? 1e-3 : 5e-2;
            for (int i = 0; i < expected.length; i++) {
                assertThat((double) first[i]).isCloseTo(expected[i],
                        org.assertj.core.api.Assertions.within(tolerance * Math.max(1, Math.abs(expected[i]))));
            }
        }
        try (var files = Files.list(cache)) {
            assertThat(files.filter(f -> f.toString().endsWith(".plan"))).hasSize(2);
        }
    }
}
