package ai.crate.runtime.onnx;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.config.Presets;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.fast.FastEngine;
import ai.crate.runtime.engine.onnxruntime.OnnxRuntimeEngine;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.model.RandomWeights;
import ai.crate.runtime.quant.QuantPoint;
import ai.crate.runtime.quant.QuantizationTable;
import ai.crate.runtime.testing.FixtureWeights;
import ai.onnx.proto.OnnxMl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The INT8 export: Q/DQ on every product input, INT8 weights with per-column scales, zero points 0 (TensorRT's rule),
 * float layers left alone; the ONNX checker accepts it and ONNX Runtime runs it like the engine's INT8 simulation.
 */
class Int8ExportTest {
    private static final CrateConfig CONFIG;

    static {
        try {
            CONFIG = CrateConfig.builder().imageSize(16, 24).patchSize(4, 8).numClasses(5).dim(24).depth(3).heads(3)
                    .dimHead(8).pool(Pool.MEAN).ista(0.2f).build();
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static QuantizationTable table(CrateConfig config, float amax) {
        Map<String, Float> ranges = new LinkedHashMap<>();
        for (QuantPoint point : QuantPoint.all(config)) {
            ranges.put(point.tensor(), point.kind() == QuantPoint.Kind.ATTENTION ? 1f : amax);
        }
        return new QuantizationTable("max", 8, ranges, Set.of());
    }

    @Test
    void everyProductInputIsQuantizedExceptInFloatLayers() throws Exception {
        CrateWeights weights = FixtureWeights.weights(CONFIG);
        QuantizationTable all = table(CONFIG, 4f);
        OnnxMl.ModelProto model = OnnxExporter.export(weights, OnnxExportOptions.int8(all));
        int products = 2 + CONFIG.depth() * (CONFIG.projectOut() ? 3 : 2);
        assertThat(count(model, "QuantizeLinear")).isEqualTo(QuantPoint.all(CONFIG).size());
        assertThat(count(model, "DequantizeLinear")).as("the heads are dequantized once per product")
                .isEqualTo(QuantPoint.all(CONFIG).size() + CONFIG.depth() + products);
        assertThat(model.getGraph().getInitializerList().stream()
                .filter(t -> t.getDataType() == OnnxMl.TensorProto.DataType.INT8_VALUE && t.getDimsCount() == 2))
                .hasSize(products);
        assertThat(model.getGraph().getInitializerList().stream()
                .filter(t -> t.getName().endsWith("zero_point") || t.getName().equals("int8_zero")))
                .allSatisfy(t -> assertThat(t.getRawData().toByteArray()).containsOnly(0));
        for (OnnxMl.NodeProto node : model.getGraph().getNodeList()) {
            if (node.getOpType().equals("MatMul")) {
                assertThat(node.getInputList()).as(node.getName()).allSatisfy(input ->
                        assertThat(input).matches(".*/dequantized|.*_weight|.*weight_t"));
            }
            if (node.getOpType().equals("Transpose") && node.getOutput(0).contains("heads")) {
                assertThat(node.getInput(0)).as("heads are transposed as INT8").endsWith("split");
            }
        }

        QuantizationTable mixed = all.withFloatLayers(Set.of(1, QuantPoint.EMBEDDING));
        OnnxMl.ModelProto partial = OnnxExporter.export(weights, OnnxExportOptions.int8(mixed));
        long layerOnePoints = QuantPoint.all(CONFIG).stream().filter(p -> p.layer() == 1).count();
        assertThat(count(partial, "QuantizeLinear")).isEqualTo(QuantPoint.all(CONFIG).size() - layerOnePoints - 1);
        assertThat(partial.getGraph().getNodeList()).noneMatch(n -> n.getOutput(0).startsWith("layer1/")
                && n.getOpType().endsWith("QuantizeLinear"));
    }

    @Test
    void int8NeedsTheFusedFormAndATableThatFitsTheModel() {
        QuantizationTable table = table(CONFIG, 1f);
        assertThatThrownBy(() -> new OnnxExportOptions(GraphForm.REFERENCE, false, List.of(), false, table))
                .hasMessageContaining("fused graph form");
        assertThatThrownBy(() -> OnnxExporter.export(RandomWeights.of(Presets.named("tiny"), 1),
                OnnxExportOptions.int8(table))).hasMessageContaining("no calibration range for");
    }

    @Test
    void crateTinyInt8PassesTheOnnxCheckerAndOnnxRuntimeAgreesWithTheEngineSimulation(@TempDir Path dir)
            throws Exception {
        CrateWeights weights = RandomWeights.of(Presets.named("tiny"), 5);
        QuantizationTable table = table(weights.config(), 6f).withFloatLayers(Set.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
        OnnxMl.ModelProto model = OnnxExporter.export(weights, OnnxExportOptions.int8(table));
        float[] images = FixtureWeights.input(weights.config(), 2);
        float[] fp32;
        float[] simulated;
        float[] onnxRuntime;
        try (FastEngine floats = new FastEngine(weights, new EngineOptions(2));
                FastEngine simulation = new FastEngine(weights, new EngineOptions(2), table);
                OnnxRuntimeEngine ort = new OnnxRuntimeEngine(weights, new EngineOptions(2),
                        OnnxExportOptions.int8(table))) {
            fp32 = floats.forward(images, 2, LayerObserver.NONE);
            simulated = simulation.forward(images, 2, LayerObserver.NONE);
            onnxRuntime = ort.forward(images, 2, LayerObserver.NONE);
            assertThat(simulation.name()).isEqualTo("fast-int8");
        }
        double quantizationError = maxDifference(fp32, simulated);
        assertThat(quantizationError).isGreaterThan(1e-3);
        assertThat(maxDifference(simulated, onnxRuntime)).isLessThan(quantizationError / 20);
        String reason = OnnxChecker.unavailableReason();
        assumeTrue(reason == null, reason);
        Path file = dir.resolve("crate-tiny-int8.onnx");
        OnnxFiles.write(model, file);
        OnnxChecker.Result checked = OnnxChecker.check(file);
        assertThat(checked.code()).as(checked.output()).isZero();
    }

    private static long count(OnnxMl.ModelProto model, String op) {
        return model.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(op)).count();
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
