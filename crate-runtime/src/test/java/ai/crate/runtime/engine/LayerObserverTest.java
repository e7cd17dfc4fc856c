package ai.crate.runtime.engine;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.testing.FixtureWeights;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-layer tensors handed to observers are the ones the forward pass really uses. */
class LayerObserverTest {

    @Test
    void lastLayerOutputThroughTheHeadGivesTheLogits() throws Exception {
        CrateConfig config = CrateConfig.builder().imageSize(16, 24).patchSize(4, 8).numClasses(6).dim(24).depth(3)
                .heads(3).dimHead(8).pool(Pool.CLS).build();
        CrateWeights weights = FixtureWeights.weights(config);
        int batch = 3;
        float[] images = FixtureWeights.values("input", batch * 3 * 16 * 24, 2f, 0f);
        Map<String, float[]> seen = new ConcurrentHashMap<>();
        float[] logits;
        try (ReferenceEngine engine = new ReferenceEngine(weights, new EngineOptions(2))) {
            logits = engine.forward(images, batch, (image, layer, t) -> {
                assertThat(t.w()).hasSizeGreaterThanOrEqualTo(config.tokens() * config.innerDim());
                seen.put(image + "/" + layer + "/zNext", t.zNext().clone());
                seen.put(image + "/" + layer + "/zHalf", t.zHalf().clone());
            });
            assertThat(engine.forward(images, batch)).containsExactly(logits);
        }
        assertThat(seen).hasSize(batch * config.depth() * 2);
        int d = config.dim();
        for (int b = 0; b < batch; b++) {
            float[] last = seen.get(b + "/" + (config.depth() - 1) + "/zNext");
            float[] cls = java.util.Arrays.copyOf(last, d);
            float[] normed = new float[d];
            FloatOps.layerNorm(cls, 1, d, weights.get("mlp_head.0.weight").toArray(),
                    weights.get("mlp_head.0.bias").toArray(), CrateConfig.LAYER_NORM_EPS, normed);
            float[] head = weights.get("mlp_head.1.weight").toArray();
            float[] bias = weights.get("mlp_head.1.bias").toArray();
            for (int c = 0; c < config.numClasses(); c++) {
                float sum = 0;
                for (int i = 0; i < d; i++) {
                    sum += normed[i] * head[c * d + i];
                }
                assertThat(logits[b * config.numClasses() + c]).isEqualTo(sum + bias[c]);
            }
            for (float v : last) {
                assertThat(v).isGreaterThanOrEqualTo(0f);
            }
        }
    }
}
