package ai.crate.ops.cli;

import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.patchify.shapes.ShapesDataset;
import ai.crate.patchify.shapes.ShapesDomain;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.train.FineTuner;
import ai.crate.runtime.train.TrainingSet;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gated fine-tune on the demo model: labelled frames of the shifted domain make a candidate that wins back at
 * least 20 points on a shifted holdout without losing more than the tolerance on the standard regression set, and is
 * accepted; the same frames with random labels make a candidate the gate refuses.
 */
class FineTunerTest {
    private static final Path MODEL = Path.of("demo/crate-shapes");

    @Test
    void goodFeedbackIsAcceptedAndPoisonedFeedbackRefused() throws Exception {
        LoadedModel production = ModelLoader.load(MODEL, Optional.empty());
        PreprocessSpec spec = new PreprocessSpec(production.preprocessing(), ResizeMode.SHORTER_SIDE);
        int render = 2 * production.config().imageHeight();
        TrainingSet feedback = new ShapesDataset(320, 21, render, spec, ShapesDomain.SHIFTED);
        TrainingSet holdout = new ShapesDataset(200, 22, render, spec, ShapesDomain.SHIFTED);
        TrainingSet regression = new ShapesDataset(200, 7, render, spec, ShapesDomain.STANDARD);
        FineTuner.Settings settings = new FineTuner.Settings("all", "adamw", 3e-4, 120, 32, 2, 5, 0.02, 0.06);

        FineTuner.Decision good = FineTuner.run(production.weights(), feedback, holdout, regression, settings);
        System.out.println("fine-tune on shifted feedback: " + good.reason());
        assertThat(good.accepted()).as(good.reason()).isTrue();
        assertThat(good.holdoutAfter() - good.holdoutBefore()).as(good.reason()).isGreaterThanOrEqualTo(0.20);

        FineTuner.Decision poisoned = FineTuner.run(production.weights(), new RandomLabels(feedback), holdout,
                regression, settings);
        System.out.println("fine-tune on random labels: " + poisoned.reason());
        assertThat(poisoned.accepted()).as(poisoned.reason()).isFalse();
        assertThat(poisoned.reason()).startsWith("refused: ");
    }

    /** The same images under labels drawn at random: a poisoned feedback batch. */
    private record RandomLabels(TrainingSet images) implements TrainingSet {
        @Override
        public int size() {
            return images.size();
        }

        @Override
        public int imageFloats() {
            return images.imageFloats();
        }

        @Override
        public void image(int index, float[] out, int offset) {
            images.image(index, out, offset);
        }

        @Override
        public int label(int index) {
            return (int) Math.floorMod(index * 0x9E3779B97F4A7C15L >>> 7, 10L);
        }

        @Override
        public String describe() {
            return images.describe() + " with random labels";
        }
    }
}
