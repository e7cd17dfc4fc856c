package ai.crate.runtime.checkpoint;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.tensor.Tensor;
import ai.crate.runtime.testing.FixtureWeights;
import ai.crate.runtime.testing.TorchZipWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The torch zip reader honours strides and the training layout, and round-trips every value exactly. */
class TorchZipReaderTest {
    @TempDir
    Path temp;

    @Test
    void readsNonContiguousViewsAndStripsModulePrefix() throws Exception {
        CrateConfig config = CrateConfig.builder().imageSize(16).patchSize(4).numClasses(5).dim(16).depth(2).heads(2)
                .dimHead(8).pool(Pool.MEAN).build();
        CrateWeights weights = FixtureWeights.weights(config);
        Path file = temp.resolve("strided.pth.tar");
        String transposedKey = "transformer.layers.1.1.fn.weight";
        TorchZipWriter.write(file, weights.tensors(), Set.of(transposedKey, "mlp_head.1.weight"));

        StateDict read = Checkpoints.read(file);
        assertThat(read.layout()).isEqualTo("torch zip, state_dict (module. prefix)");
        CrateWeights loaded = CrateWeights.from(config, read);
        for (Tensor expected : weights.tensors().values()) {
            assertThat(loaded.get(expected.name()).toArray()).as(expected.name()).containsExactly(expected.toArray());
        }
    }
}
