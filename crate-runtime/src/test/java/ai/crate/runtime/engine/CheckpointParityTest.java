package ai.crate.runtime.engine;

import ai.crate.runtime.config.CrateConfigJson;
import ai.crate.runtime.config.PartialConfig;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.npy.Npy;
import ai.crate.runtime.npy.NpyArray;
import ai.crate.runtime.testing.Fixtures;
import ai.crate.runtime.whitebox.WhiteBoxRecorder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checkpoints written by PyTorch (training layout with {@code module.}, {@code model} key, bare state dict,
 * safetensors F32/F16/BF16) load and give PyTorch's logits and white-box figures: non-square images and patches,
 * mean pooling, one head without output projection, ista ≠ 0.1 and small class counts.
 */
class CheckpointParityTest {

    @ParameterizedTest(name = "{0}/{1}")
    @CsvSource({
            "nonsquare, checkpoint.pth.tar, logits.npy, state_dict (module. prefix)",
            "meanpool, model.safetensors, logits.npy, safetensors, bare",
            "onehead, weights.pt, logits.npy, torch zip, bare",
            "modelkey, checkpoint.pth, logits.npy, torch zip, model",
            "modelkey, model-f16.safetensors, logits-f16.npy, safetensors",
            "modelkey, model-bf16.safetensors, logits-bf16.npy, safetensors"})
    void matchesPyTorch(String fixture, String checkpoint, String logitsFile, String layout) throws Exception {
        Path dir = Fixtures.dir(fixture);
        PartialConfig config = CrateConfigJson.readPartial(dir.resolve("config.json"));
        LoadedModel model = ModelLoader.load(dir.resolve(checkpoint), Optional.of(config));
        assertThat(model.layout()).contains(layout.trim());
        NpyArray input = Npy.read(dir.resolve("input.npy"));
        int batch = input.shape()[0];
        WhiteBoxRecorder recorder = new WhiteBoxRecorder(model.config().depth(), batch);
        try (CrateEngine engine = Engines.create("reference", model.weights(), new EngineOptions(2))) {
            float[] logits = engine.forward(input.toFloats(), batch, recorder);
            Fixtures.assertLogitsMatch(logits, Npy.read(dir.resolve(logitsFile)).toFloats());
        }
        if (logitsFile.equals("logits.npy")) {
            Fixtures.assertWhiteBoxMatches(recorder.stats(), dir.resolve("whitebox.json"));
        }
    }

    @ParameterizedTest
    @CsvSource({"nonsquare, checkpoint.pth.tar", "onehead, weights.pt"})
    void configMayLeaveOutWhatTheWeightsDetermine(String fixture, String checkpoint) throws Exception {
        Path dir = Fixtures.dir(fixture);
        PartialConfig full = CrateConfigJson.readPartial(dir.resolve("config.json"));
        PartialConfig partial = new PartialConfig(full.imageSize(), full.patchSize(), null, null, null, full.heads(),
                null, full.pool(), full.channels(), full.ista(), full.lambd());
        LoadedModel model = ModelLoader.load(dir.resolve(checkpoint), Optional.of(partial));
        assertThat(model.config()).isEqualTo(full.complete());
    }
}
