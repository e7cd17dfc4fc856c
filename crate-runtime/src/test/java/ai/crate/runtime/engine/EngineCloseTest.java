package ai.crate.runtime.engine;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.model.RandomWeights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every CPU engine can be closed twice (shutdown paths may race) and refuses work after close with a clear error. */
class EngineCloseTest {

    @ParameterizedTest
    @ValueSource(strings = {"fast", "onnxruntime"})
    void aClosedEngineClosesAgainQuietlyAndRefusesWork(String name) throws Exception {
        CrateConfig config = CrateConfig.builder().imageSize(16, 16).patchSize(8, 8).numClasses(3).dim(16).depth(2)
                .heads(2).dimHead(8).build();
        CrateEngine engine = Engines.create(name, RandomWeights.of(config, 7), new EngineOptions(1));
        float[] images = new float[config.channels() * 16 * 16];
        engine.forward(images, 1);
        engine.close();
        assertThatCode(engine::close).doesNotThrowAnyException();
        assertThatThrownBy(() -> engine.forward(images, 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }
}
