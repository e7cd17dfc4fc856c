package ai.crate.runtime.engine.fast;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.LayerTensors;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.testing.FixtureWeights;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/** An observer that wants only some images and layers gets exactly those, with the tensors of a full trace. */
class FastEngineObserverTest {

    @Test
    void onlyTheWantedImagesAndLayersAreHandedOver() throws Exception {
        CrateConfig config = CrateConfig.builder().imageSize(16, 24).patchSize(4, 8).numClasses(6).dim(24).depth(3)
                .heads(3).dimHead(8).pool(Pool.CLS).build();
        CrateWeights weights = FixtureWeights.weights(config);
        int batch = 3;
        float[] images = FixtureWeights.values("input", batch * 3 * 16 * 24, 2f, 0f);
        Map<String, float[]> all = new ConcurrentHashMap<>();
        Map<String, float[]> some = new ConcurrentHashMap<>();
        try (FastEngine engine = new FastEngine(weights, new EngineOptions(2))) {
            float[] full = engine.forward(images, batch, (image, layer, t) -> all.put(image + "/" + layer,
                    t.zNext().clone()));
            float[] selective = engine.forward(images, batch, new LayerObserver() {
                @Override
                public boolean wants(int image, int layer) {
                    return layer == 2 || image == 1;
                }

                @Override
                public void onLayer(int image, int layer, LayerTensors tensors) {
                    some.put(image + "/" + layer, tensors.zNext().clone());
                }
            });
            assertThat(selective).containsExactly(full);
            assertThat(engine.forward(images, batch)).containsExactly(full);
        }
        assertThat(all).hasSize(batch * config.depth());
        assertThat(some.keySet()).containsExactlyInAnyOrder("0/2", "1/0", "1/1", "1/2", "2/2");
        some.forEach((key, zNext) -> assertThat(zNext).as(key).containsExactly(all.get(key)));
    }
}
