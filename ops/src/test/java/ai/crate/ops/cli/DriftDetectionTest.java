package ai.crate.ops.cli;

import ai.crate.patchify.DecodedImage;
import ai.crate.patchify.FastPreprocessor;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.patchify.shapes.ShapesClip;
import ai.crate.patchify.shapes.ShapesDomain;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.whitebox.DriftDetector;
import ai.crate.runtime.whitebox.WhiteBoxRecorder;
import ai.crate.runtime.whitebox.WhiteBoxReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Drift detection on the demo model, against the reference recorded in its bundle ({@code bin/crate bundle reference
 * --dataset shapes:512:3}), with the detector's defaults (window 20, alpha 0.01): a clip in the shifted domain raises
 * drift as soon as the window is full (the 20th sampled frame); the same clip unshifted, 20 shapes over 1000 frames,
 * raises none.
 */
class DriftDetectionTest {
    private static final Path MODEL = Path.of("demo/crate-shapes");
    private static LoadedModel model;
    private static PreprocessSpec spec;
    private static WhiteBoxReference reference;

    @BeforeAll
    static void theBundlesReference() throws Exception {
        model = ModelLoader.load(MODEL, Optional.empty());
        spec = new PreprocessSpec(model.preprocessing(), ResizeMode.SHORTER_SIDE);
        reference = model.whiteboxReference();
        assertThat(reference).as("the demo bundle carries its white-box reference").isNotNull();
        assertThat(reference.source()).isEqualTo("shapes:512:3");
        assertThat(reference.layers()).hasSize(model.config().depth());
    }

    @Test
    void aShiftedClipDriftsAndTheSameClipUnshiftedDoesNot() throws Exception {
        List<DriftDetector.Verdict> plain = run(ShapesDomain.STANDARD);
        List<DriftDetector.Verdict> shifted = run(ShapesDomain.SHIFTED);
        double plainMax = plain.stream().mapToDouble(DriftDetector.Verdict::distance).max().orElseThrow();
        assertThat(plain).as("no drift on the unshifted clip (largest distance %.2f, threshold %.2f)", plainMax,
                plain.get(0).threshold()).noneMatch(DriftDetector.Verdict::drifting);
        DriftDetector.Verdict first = shifted.get(0);
        System.out.printf("drift on the demo model: threshold %.2f, unshifted clip largest distance %.2f over %d"
                + " windows, shifted clip %.2f at the first full window%n", first.threshold(), plainMax, plain.size(),
                first.distance());
        assertThat(first.drifting()).as("drift at the first full window (distance %.2f, threshold %.2f)",
                first.distance(), first.threshold()).isTrue();
        assertThat(first.changed()).isTrue();
        assertThat(first.frames()).isEqualTo(DriftDetector.WINDOW);
    }

    /** The clip's frames 0, 2, 4, … 998 (every other frame sampled, 500 in all) through the detector. */
    private static List<DriftDetector.Verdict> run(ShapesDomain domain) throws Exception {
        ShapesClip clip = new ShapesClip(100, 256, 50);
        DriftDetector detector = new DriftDetector(reference, DriftDetector.WINDOW, DriftDetector.ALPHA);
        List<DriftDetector.Verdict> verdicts = new ArrayList<>();
        FastPreprocessor preprocessor = new FastPreprocessor(spec);
        int depth = model.config().depth();
        float[] input = new float[spec.imageFloats()];
        try (CrateEngine engine = Engines.create("fast", model.weights(), new EngineOptions(2))) {
            for (int i = 0; i < 1000; i += 2) {
                DecodedImage frame = domain.apply(clip.frame(i));
                preprocessor.preprocess(frame, input, 0);
                WhiteBoxRecorder recorder = new WhiteBoxRecorder(depth, 1);
                engine.forward(input, 1, recorder);
                double[] codingRates = new double[depth];
                double[] sparsities = new double[depth];
                for (int l = 0; l < depth; l++) {
                    codingRates[l] = recorder.codingRates(l)[0];
                    sparsities[l] = recorder.sparsities(l)[0];
                }
                detector.add(codingRates, sparsities).ifPresent(verdicts::add);
            }
        }
        return verdicts;
    }
}
