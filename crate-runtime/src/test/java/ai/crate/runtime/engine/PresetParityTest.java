package ai.crate.runtime.engine;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.CrateConfigJson;
import ai.crate.runtime.config.Presets;
import ai.crate.runtime.npy.Npy;
import ai.crate.runtime.testing.FixtureWeights;
import ai.crate.runtime.testing.Fixtures;
import ai.crate.runtime.whitebox.WhiteBoxRecorder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reference engine against PyTorch on the four presets, with weights and inputs regenerated bit-exactly from
 * the fixture generator, so only the expected logits and white-box figures are committed.
 */
class PresetParityTest {

    @Test
    void generatorMatchesPython() throws Exception {
        JsonNode check = new ObjectMapper().readTree(Fixtures.dir("presets").resolve("generator-check.json").toFile());
        float[] cls = FixtureWeights.weights(Presets.tiny()).clsToken().toArray();
        float[] input = FixtureWeights.input(Presets.tiny(), 2);
        for (int i = 0; i < 4; i++) {
            assertThat(cls[i]).isEqualTo((float) check.get("cls_token_first4").get(i).asDouble());
            assertThat(input[i]).isEqualTo((float) check.get("input_first4").get(i).asDouble());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny", "small", "base", "large"})
    void logitsAndWhiteBoxMatchPyTorch(String preset) throws Exception {
        Path dir = Fixtures.dir("presets/" + preset);
        CrateConfig config = CrateConfigJson.read(dir.resolve("config.json"));
        assertThat(config).isEqualTo(Presets.named(preset));
        float[] expected = Npy.read(dir.resolve("logits.npy")).toFloats();
        WhiteBoxRecorder recorder = new WhiteBoxRecorder(config.depth(), 2);
        try (ReferenceEngine engine = new ReferenceEngine(FixtureWeights.weights(config), EngineOptions.defaults())) {
            float[] logits = engine.forward(FixtureWeights.input(config, 2), 2, recorder);
            Fixtures.assertLogitsMatch(logits, expected);
        }
        // Activations that land within float32 rounding of the ReLU threshold fall on either side of zero depending on
        // summation order (ours vs PyTorch's BLAS): allow two such of the T·d per image, on top of 1e-6.
        double oneActivation = 1.0 / ((double) config.tokens() * config.dim());
        Fixtures.assertWhiteBoxMatches(recorder.stats(), dir.resolve("whitebox.json"), 1e-6 + 2 * oneActivation);
    }
}
