package ai.crate.calibration;

import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.fast.FastEngine;
import ai.crate.runtime.onnx.OnnxChecker;
import ai.crate.runtime.quant.QuantPoint;
import ai.crate.runtime.quant.QuantizationTable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The bundled shapes model calibrated end to end: INT8 agrees with FP32 on held-out images, outputs check out. */
class ShapesCalibrationTest {
    static final Path MODEL = Path.of("../ops/demo/crate-shapes");
    private static ModelBundle bundle;
    private static Calibration.Outcome outcome;

    @BeforeAll
    static void calibrate() throws Exception {
        bundle = ModelBundle.open(MODEL);
        PreprocessSpec spec = new PreprocessSpec(bundle.manifest().preprocessing(), ResizeMode.SHORTER_SIDE);
        CalibrationImages calibration = CalibrationSources.read("shapes:512:11", spec, 512, n -> { });
        CalibrationImages heldOut = CalibrationSources.read("shapes:1000:12", spec, 1000, n -> { });
        Calibration.Settings settings = Calibration.Settings.defaults(CalibrationMethod.ENTROPY);
        try (FastEngine engine = new FastEngine(bundle.weights(), new EngineOptions(2))) {
            outcome = Calibration.calibrate(bundle.weights(), calibration, heldOut, engine, settings,
                    Calibration.Listener.SILENT);
        }
        System.out.println("shapes INT8: " + outcome.verification());
    }

    @Test
    void int8AgreesWithFp32OnHeldOutImagesInJavaAndInOnnxRuntime() {
        VerificationResult result = outcome.verification();
        assertThat(result.images()).isEqualTo(1000);
        assertThat(result.agreement()).isGreaterThanOrEqualTo(0.99);
        assertThat(result.onnxRuntimeAgreement()).isGreaterThanOrEqualTo(0.99);
        assertThat(result.int8PathsAgreement()).isGreaterThanOrEqualTo(0.99);
        assertThat(result.layers()).hasSize(bundle.manifest().config().depth());
        for (LayerComparison layer : result.layers()) {
            assertThat(layer.sqnrDb()).as("layer %d", layer.layer()).isGreaterThan(10);
            assertThat(layer.codingRateInt8()).isCloseTo(layer.codingRateFp32(),
                    org.assertj.core.data.Percentage.withPercentage(10));
        }
    }

    @Test
    void everyActivationHasAPositiveRangeNoLargerThanItsMaximum() {
        QuantizationTable table = outcome.table();
        assertThat(table.method()).isEqualTo("entropy");
        assertThat(table.amax().keySet()).containsExactlyElementsOf(
                QuantPoint.all(bundle.manifest().config()).stream().map(QuantPoint::tensor).toList());
        assertThat(table.amax().values()).allSatisfy(amax -> assertThat(amax).isPositive());
        assertThat(table.amax().get(QuantPoint.attention(0))).isLessThanOrEqualTo(1f);
    }

    @Test
    void theBundleOutputHoldsTheQdqModelTheTableAndTheCacheAndPassesTheOnnxChecker(@TempDir Path dir)
            throws Exception {
        Path out = dir.resolve("crate-shapes-int8");
        CalibrationOutputs.check(out, MODEL);
        CalibrationOutputs.write(bundle.weights(), outcome.table(), MODEL, out);
        ModelBundle copy = ModelBundle.open(out);
        assertThat(copy.manifest().sha256()).containsKeys(CalibrationOutputs.INT8_ONNX, QuantizationTable.FILE,
                CalibrationOutputs.TENSORRT_CACHE, "weights.safetensors", "labels.txt");
        assertThat(QuantizationTable.read(out.resolve(QuantizationTable.FILE))).isEqualTo(outcome.table());
        TensorRtCalibrationCache.Cache cache = TensorRtCalibrationCache.read(
                Files.readString(out.resolve(CalibrationOutputs.TENSORRT_CACHE)), "cache");
        assertThat(cache.scales()).hasSize(outcome.table().amax().size());
        String reason = OnnxChecker.unavailableReason();
        assumeTrue(reason == null, reason);
        OnnxChecker.Result checked = OnnxChecker.check(out.resolve(CalibrationOutputs.INT8_ONNX));
        assertThat(checked.code()).as(checked.output()).isZero();
    }

    @Test
    void theOnnxOutputWritesTheTableAndCacheBesideIt(@TempDir Path dir) throws Exception {
        Path onnx = dir.resolve("shapes-int8.onnx");
        List<Path> written = CalibrationOutputs.write(bundle.weights(), outcome.table(), MODEL, onnx);
        assertThat(written).containsExactly(onnx, dir.resolve("shapes-int8.calibration.json"),
                dir.resolve("shapes-int8.calibration.cache"));
        assertThat(written).allSatisfy(p -> assertThat(Files.size(p)).isPositive());
        try (var listing = Files.list(dir)) {
            assertThat(listing.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }
}
