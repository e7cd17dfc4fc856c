package ai.crate.calibration;

import ai.crate.runtime.config.Presets;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.fast.FastEngine;
import ai.crate.runtime.engine.onnxruntime.OnnxRuntimeEngine;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.model.RandomWeights;
import ai.crate.runtime.onnx.OnnxChecker;
import ai.crate.runtime.quant.QuantizationTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** CRATE-T (random weights) calibrated on random images: its Q/DQ export passes the ONNX checker and runs. */
class CrateTinyCalibrationTest {
    @Test
    void theCalibratedQdqExportPassesTheCheckerAndRunsInOnnxRuntime(@TempDir Path dir) throws Exception {
        CrateWeights weights = RandomWeights.of(Presets.named("tiny"), 9);
        int count = 6;
        float[] values = new float[count * 3 * 224 * 224];
        SplittableRandom random = new SplittableRandom(4);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        CalibrationImages images = new CalibrationImages(values, count, 3 * 224 * 224, "random");
        QuantizationTable table;
        try (FastEngine engine = new FastEngine(weights, new EngineOptions(2))) {
            table = Calibration.collect(weights, images, engine, Calibration.Settings.defaults(CalibrationMethod.MSE),
                    Calibration.Listener.SILENT);
        }
        assertThat(table.amax()).hasSize(2 + 12 * 5);
        Path onnx = dir.resolve("crate-tiny-int8.onnx");
        CalibrationOutputs.write(weights, table, dir.resolve("unused"), onnx);
        float[] logits;
        try (OnnxRuntimeEngine ort = new OnnxRuntimeEngine(onnx, weights.config(), new EngineOptions(2))) {
            logits = ort.forward(images.batch(0, 2), 2, LayerObserver.NONE);
        }
        assertThat(logits).hasSize(2 * 1000);
        for (float v : logits) {
            assertThat(Float.isFinite(v)).isTrue();
        }
        String reason = OnnxChecker.unavailableReason();
        assumeTrue(reason == null, reason);
        OnnxChecker.Result checked = OnnxChecker.check(onnx);
        assertThat(checked.code()).as(checked.output()).isZero();
    }
}
