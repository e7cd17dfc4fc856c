package ai.crate.runtime.model;

import ai.crate.runtime.checkpoint.SafetensorsWriter;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.PartialConfig;
import ai.crate.runtime.config.Presets;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.testing.FixtureWeights;
import ai.crate.runtime.testing.TorchZipWriter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A CRATE-L checkpoint (about 311 MB of float32) loads, fully validated and CRC-checked, in under 5 s with heap
 * growth at most 1.5× its size: the acceptance bound of the runtime issue, for both file formats.
 */
class LargeCheckpointLoadITCase {
    @TempDir
    static Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"crate-l.pth.tar", "crate-l.safetensors"})
    void crateLargeLoadsFastWithinTheHeapBound(String name) throws Exception {
        CrateConfig config = Presets.large();
        Path file = temp.resolve(name);
        {
            CrateWeights generated = FixtureWeights.weights(config);
            if (name.endsWith(".safetensors")) {
                SafetensorsWriter.write(file, generated.tensors().values(), Map.of());
            } else {
                TorchZipWriter.write(file, generated.tensors(), Set.of());
            }
        }
        long size = Files.size(file);
        Runtime runtime = Runtime.getRuntime();
        System.gc();
        long before = runtime.totalMemory() - runtime.freeMemory();
        long start = System.nanoTime();
        LoadedModel model = ModelLoader.load(file, Optional.of(PartialConfig.of(config)));
        long millis = (System.nanoTime() - start) / 1_000_000;
        long after = runtime.totalMemory() - runtime.freeMemory();
        double growth = (double) (after - before) / size;
        System.out.printf("%s: %d bytes loaded in %d ms, heap growth %.3f x file size%n", name, size, millis, growth);

        assertThat(model.config()).isEqualTo(config);
        assertThat(size).isGreaterThan(300_000_000L);
        assertThat(millis).isLessThan(5_000);
        assertThat(growth).isLessThanOrEqualTo(1.5);
        float[] expected = FixtureWeights.values("transformer.layers.23.1.fn.weight", 6,
                (float) (1 / Math.sqrt(1024)), 0f);
        assertThat(model.weights().layers().get(23).ista().get(5)).isEqualTo(expected[5]);
    }
}
