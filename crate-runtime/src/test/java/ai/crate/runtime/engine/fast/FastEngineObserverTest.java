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
import static org.assertj.core.api.Assertions.within;

/**
 * An observer that wants only some images and layers gets exactly those, with the tensors of a full trace; one that
 * wants only the class token gets that row, and lets the last layer compute nothing else.
 */
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
            assertThat(engine.forward(images, batch)).containsExactly(full, within(1e-5f));
        }
        assertThat(all).hasSize(batch * config.depth());
        assertThat(some.keySet()).containsExactlyInAnyOrder("0/2", "1/0", "1/1", "1/2", "2/2");
        some.forEach((key, zNext) -> assertThat(zNext).as(key).containsExactly(all.get(key)));
    }

    @Test
    void classTokenObserversGetTheClassTokensRowAndTheLastLayerComputesOnlyIt() throws Exception {
        CrateConfig config = CrateConfig.builder().imageSize(16, 24).patchSize(4, 8).numClasses(6).dim(24).depth(3)
                .heads(3).dimHead(8).pool(Pool.CLS).build();
        CrateWeights weights = FixtureWeights.weights(config);
        int batch = 3;
        int t = config.tokens();
        int d = config.dim();
        float[] images = FixtureWeights.values("input", batch * 3 * 16 * 24, 2f, 0f);
        Map<String, LayerTensors> all = new ConcurrentHashMap<>();
        Map<String, LayerTensors> rows = new ConcurrentHashMap<>();
        try (FastEngine engine = new FastEngine(weights, new EngineOptions(2))) {
            float[] full = engine.forward(images, batch, (image, layer, tensors) -> all.put(image + "/" + layer,
                    copy(tensors)));
            float[] classToken = engine.forward(images, batch, new LayerObserver() {
                @Override
                public boolean wants(int image, int layer) {
                    return image != 1;
                }

                @Override
                public boolean classTokenOnly(int image, int layer) {
                    return true;
                }

                @Override
                public void onLayer(int image, int layer, LayerTensors tensors) {
                    rows.put(image + "/" + layer, copy(tensors));
                }
            });
            assertThat(classToken).containsExactly(full, within(1e-5f));
        }
        assertThat(rows).hasSize(2 * config.depth());
        rows.forEach((key, row) -> {
            LayerTensors whole = all.get(key);
            assertThat(row.tokens()).as(key).isEqualTo(1);
            assertThat(row.w()).as(key).hasSize(config.innerDim())
                    .containsExactly(java.util.Arrays.copyOf(whole.w(), config.innerDim()), within(1e-5f));
            assertThat(row.zHalf()).as(key).hasSize(d)
                    .containsExactly(java.util.Arrays.copyOf(whole.zHalf(), d), within(1e-5f));
            assertThat(row.zNext()).as(key).hasSize(d)
                    .containsExactly(java.util.Arrays.copyOf(whole.zNext(), d), within(1e-5f));
            assertThat(whole.zNext()).as(key).hasSize(t * d);
        });
    }

    @Test
    void aMeanPooledModelComputesEveryTokenOfTheLastLayerForClassTokenObserversToo() throws Exception {
        CrateConfig config = CrateConfig.builder().imageSize(16, 24).patchSize(4, 8).numClasses(6).dim(24).depth(2)
                .heads(3).dimHead(8).pool(Pool.MEAN).build();
        CrateWeights weights = FixtureWeights.weights(config);
        float[] images = FixtureWeights.values("input", 2 * 3 * 16 * 24, 2f, 0f);
        Map<String, float[]> rows = new ConcurrentHashMap<>();
        try (FastEngine engine = new FastEngine(weights, new EngineOptions(2))) {
            float[] full = engine.forward(images, 2, (image, layer, tensors) -> { });
            float[] classToken = engine.forward(images, 2, new LayerObserver() {
                @Override
                public boolean classTokenOnly(int image, int layer) {
                    return true;
                }

                @Override
                public void onLayer(int image, int layer, LayerTensors tensors) {
                    rows.put(image + "/" + layer, tensors.zNext().clone());
                }
            });
            assertThat(classToken).containsExactly(full);
            assertThat(engine.forward(images, 2)).containsExactly(full);
        }
        assertThat(rows).hasSize(4).allSatisfy((key, zNext) -> assertThat(zNext).hasSize(config.dim()));
    }

    @Test
    void batchesRunInGroupsOfImagesHandEachImageOverUnderItsOwnNumber() throws Exception {
        CrateConfig config = CrateConfig.builder().imageSize(16, 24).patchSize(4, 8).numClasses(6).dim(24).depth(3)
                .heads(3).dimHead(8).pool(Pool.CLS).build();
        CrateWeights weights = FixtureWeights.weights(config);
        int batch = 9;
        float[] images = FixtureWeights.values("input", batch * 3 * 16 * 24, 2f, 0f);
        Map<String, LayerTensors> grouped = new ConcurrentHashMap<>();
        Map<String, LayerTensors> single = new ConcurrentHashMap<>();
        float[] groupedLogits;
        float[] singleLogits;
        try (FastEngine groups = new FastEngine(weights, new EngineOptions(2));
                FastEngine oneWorker = new FastEngine(weights, new EngineOptions(1))) {
            groupedLogits = groups.forward(images, batch, codesAndOneMeasuredImage(config, grouped));
            singleLogits = oneWorker.forward(images, batch, codesAndOneMeasuredImage(config, single));
        }
        assertThat(groupedLogits).containsExactly(singleLogits, within(1e-5f));
        assertThat(grouped.keySet()).isEqualTo(single.keySet()).hasSize(batch - 1 + config.depth());
        single.forEach((key, expected) -> {
            LayerTensors actual = grouped.get(key);
            assertThat(actual.tokens()).as(key).isEqualTo(expected.tokens());
            assertThat(actual.w()).as(key).containsExactly(expected.w(), within(1e-5f));
            assertThat(actual.zHalf()).as(key).containsExactly(expected.zHalf(), within(1e-5f));
            assertThat(actual.zNext()).as(key).containsExactly(expected.zNext(), within(1e-5f));
        });
        assertThat(grouped.get("6/1").tokens()).isEqualTo(config.tokens());
        assertThat(grouped.get("2/2").tokens()).isEqualTo(1);
    }

    /** The inference job's observer: every image's class token at the last layer, and every layer of image 6. */
    private static LayerObserver codesAndOneMeasuredImage(CrateConfig config, Map<String, LayerTensors> into) {
        int last = config.depth() - 1;
        return new LayerObserver() {
            @Override
            public boolean wants(int image, int layer) {
                return layer == last || image == 6;
            }

            @Override
            public boolean classTokenOnly(int image, int layer) {
                return image != 6;
            }

            @Override
            public void onLayer(int image, int layer, LayerTensors tensors) {
                into.put(image + "/" + layer, copy(tensors));
            }
        };
    }

    private static LayerTensors copy(LayerTensors t) {
        return new LayerTensors(t.tokens(), t.dim(), t.heads(), t.dimHead(), t.w().clone(), t.zHalf().clone(),
                t.zNext().clone());
    }
}
