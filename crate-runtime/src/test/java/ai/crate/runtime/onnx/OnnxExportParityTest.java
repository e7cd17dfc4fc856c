package ai.crate.runtime.onnx;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.CrateConfigJson;
import ai.crate.runtime.config.Presets;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.ReferenceEngine;
import ai.crate.runtime.engine.onnxruntime.OnnxRuntimeEngine;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.npy.Npy;
import ai.crate.runtime.testing.FixtureWeights;
import ai.crate.runtime.testing.Fixtures;
import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every exported graph, both forms, passes the ONNX checker and, run in ONNX Runtime, gives the reference engine's
 * logits to 1e-4 relative: the four presets and the runtime issue's edge configurations.
 */
class OnnxExportParityTest {
    @TempDir
    static Path temp;

    static Stream<Arguments> models() {
        List<Arguments> cases = new ArrayList<>();
        for (String preset : List.of("tiny", "small", "base", "large")) {
            cases.add(Arguments.of("preset " + preset, preset, null));
        }
        cases.add(Arguments.of("non-square image and patches", "nonsquare", "checkpoint.pth.tar"));
        cases.add(Arguments.of("mean pool, ista 0.25", "meanpool", "model.safetensors"));
        cases.add(Arguments.of("one head without to_out", "onehead", "weights.pt"));
        cases.add(Arguments.of("ista 0.05, 3 classes", "modelkey", "checkpoint.pth"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void bothFormsPassTheCheckerAndMatchTheReferenceEngine(String name, String fixture, String checkpoint)
            throws Exception {
        CrateWeights weights;
        float[] images;
        int batch;
        if (checkpoint == null) {
            CrateConfig config = Presets.named(fixture);
            weights = FixtureWeights.weights(config);
            batch = fixture.equals("large") ? 1 : 2;
            images = FixtureWeights.input(config, batch);
        } else {
            Path dir = Fixtures.dir(fixture);
            LoadedModel model = ModelLoader.load(dir.resolve(checkpoint),
                    Optional.of(CrateConfigJson.readPartial(dir.resolve("config.json"))));
            weights = model.weights();
            images = Npy.read(dir.resolve("input.npy")).toFloats();
            batch = Npy.read(dir.resolve("input.npy")).shape()[0];
        }
        float[] expected;
        try (ReferenceEngine reference = new ReferenceEngine(weights, new EngineOptions(2))) {
            expected = reference.forward(images, batch);
        }
        String checkerMissing = OnnxChecker.unavailableReason();
        for (GraphForm form : GraphForm.values()) {
            Path file = temp.resolve(fixture + "-" + form.key() + ".onnx");
            OnnxMl.ModelProto model = OnnxExporter.export(weights, OnnxExportOptions.of(form));
            OnnxFiles.write(model, file);
            if (checkerMissing == null) {
                OnnxChecker.Result verdict = OnnxChecker.check(file);
                assertThat(verdict.code()).as("%s %s: %s", name, form, verdict.output()).isZero();
            }
            try (OnnxRuntimeEngine engine = new OnnxRuntimeEngine(file, weights.config(), new EngineOptions(2))) {
                Fixtures.assertLogitsMatch(engine.forward(images, batch), expected);
            }
        }
        Assumptions.assumeTrue(checkerMissing == null, "ONNX checker not run: " + checkerMissing);
    }
}
