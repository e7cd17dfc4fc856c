package ai.crate.runtime.onnx;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.LayerTensors;
import ai.crate.runtime.engine.ReferenceEngine;
import ai.crate.runtime.engine.onnxruntime.OnnxRuntimeEngine;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.tensor.HalfFloats;
import ai.crate.runtime.tensor.Tensor;
import ai.crate.runtime.testing.FixtureWeights;
import ai.crate.runtime.testing.Fixtures;
import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exported graphs keep the rules TensorRT 10 needs (only operators its ONNX parser supports, opset 17, static
 * shapes but the batch, LayerNormalization with one output), and the optional outputs, FP16 weights and external
 * data work in ONNX Runtime.
 */
class OnnxGraphRulesTest {
    @TempDir
    Path temp;

    private static final CrateConfig CONFIG;

    static {
        try {
            CONFIG = CrateConfig.builder().imageSize(16, 24).patchSize(4, 8).numClasses(5).dim(24).depth(3).heads(3)
                    .dimHead(8).pool(Pool.MEAN).ista(0.2f).build();
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static Set<String> tensorRtOperators() throws IOException {
        try (InputStream in = OnnxGraphRulesTest.class.getResourceAsStream("/tensorrt10-onnx-operators.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#")).collect(Collectors.toSet());
        }
    }

    @ParameterizedTest
    @EnumSource(GraphForm.class)
    void onlyTensorRtOperatorsAndStaticShapesButTheBatch(GraphForm form) throws Exception {
        CrateWeights weights = FixtureWeights.weights(CONFIG);
        Set<String> supported = tensorRtOperators();
        assertThat(supported).contains("LayerNormalization", "MatMul", "Softmax").hasSizeGreaterThan(100);
        for (OnnxExportOptions options : List.of(OnnxExportOptions.of(form),
                new OnnxExportOptions(form, true, List.of(0, 2), false),
                OnnxExportOptions.of(form).withAllLayerOutputs())) {
            OnnxMl.ModelProto model = OnnxExporter.export(weights, options);
            assertThat(model.getOpsetImportList()).singleElement()
                    .satisfies(opset -> assertThat(opset.getVersion()).isEqualTo(17));
            Set<String> used = new HashSet<>();
            for (OnnxMl.NodeProto node : model.getGraph().getNodeList()) {
                used.add(node.getOpType());
                if (node.getOpType().equals("LayerNormalization")) {
                    assertThat(node.getOutputCount()).as(node.getName()).isEqualTo(1);
                }
                if (node.getOpType().equals("ReduceMean")) {
                    assertThat(node.getAttributeList()).anyMatch(a -> a.getName().equals("axes"));
                }
            }
            assertThat(supported).as("operators outside TensorRT 10's list").containsAll(used);
            for (OnnxMl.ValueInfoProto value : concat(model.getGraph().getInputList(),
                    model.getGraph().getOutputList())) {
                List<OnnxMl.TensorShapeProto.Dimension> dims = value.getType().getTensorType().getShape().getDimList();
                assertThat(dims.get(0).getDimParam()).as(value.getName()).isEqualTo("batch");
                assertThat(dims.subList(1, dims.size())).as(value.getName())
                        .allSatisfy(d -> assertThat(d.getDimValue()).isPositive());
            }
        }
    }

    @Test
    void codesOutputsAreTheReferenceLayerOutputs() throws Exception {
        CrateWeights weights = FixtureWeights.weights(CONFIG);
        int batch = 2;
        float[] images = FixtureWeights.values("input", batch * 3 * 16 * 24, 2f, 0f);
        Map<Integer, float[]> expected = new LinkedHashMap<>();
        try (ReferenceEngine reference = new ReferenceEngine(weights, new EngineOptions(1))) {
            reference.forward(images, batch, (int image, int layer, LayerTensors t) -> {
                float[] all = expected.computeIfAbsent(layer, k -> new float[batch * t.tokens() * t.dim()]);
                System.arraycopy(t.zNext(), 0, all, image * t.tokens() * t.dim(), t.tokens() * t.dim());
            });
        }
        OnnxMl.ModelProto model = OnnxExporter.export(weights,
                new OnnxExportOptions(GraphForm.FUSED, false, List.of(1, 2), false));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(model.toByteArray(), new OrtSession.SessionOptions());
                OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(images), new long[] {batch, 3, 16, 24});
                OrtSession.Result result = session.run(Map.of("images", input))) {
            for (int layer : List.of(1, 2)) {
                FloatBuffer codes = ((OnnxTensor) result.get(OnnxExporter.codesOutput(layer)).orElseThrow())
                        .getFloatBuffer();
                float[] actual = new float[codes.remaining()];
                codes.get(actual);
                Fixtures.assertLogitsMatch(actual, expected.get(layer));
            }
        }
    }

    @Test
    void fp16WeightsGiveTheReferenceResultOfRoundedWeights() throws Exception {
        CrateWeights weights = FixtureWeights.weights(CONFIG);
        Map<String, Tensor> rounded = new LinkedHashMap<>();
        weights.tensors().forEach((key, tensor) -> {
            float[] values = tensor.toArray();
            for (int i = 0; i < values.length; i++) {
                values[i] = HalfFloats.halfToFloat(HalfFloats.floatToHalf(values[i]));
            }
            rounded.put(key, Tensor.of(key, tensor.shape(), values));
        });
        CrateWeights roundedWeights = CrateWeights.of(CONFIG, rounded, Path.of("rounded"));
        float[] images = FixtureWeights.values("input", 3 * 16 * 24, 2f, 0f);
        float[] expected;
        try (ReferenceEngine reference = new ReferenceEngine(roundedWeights, new EngineOptions(1))) {
            expected = reference.forward(images, 1);
        }
        Path file = temp.resolve("fp16.onnx");
        OnnxMl.ModelProto fp16 = OnnxExporter.export(weights,
                new OnnxExportOptions(GraphForm.REFERENCE, true, List.of(), false));
        OnnxFiles.write(fp16, file);
        assertThat(OnnxFiles.initializerBytes(fp16))
                .isLessThan(OnnxFiles.initializerBytes(OnnxExporter.export(weights,
                        OnnxExportOptions.of(GraphForm.REFERENCE))) * 6 / 10);
        try (OnnxRuntimeEngine engine = new OnnxRuntimeEngine(file, CONFIG, new EngineOptions(1))) {
            Fixtures.assertLogitsMatch(engine.forward(images, 1), expected);
        }
    }

    @Test
    void externalDataLoadsInOnnxRuntime() throws Exception {
        CrateWeights weights = FixtureWeights.weights(CONFIG);
        float[] images = FixtureWeights.values("input", 2 * 3 * 16 * 24, 2f, 0f);
        OnnxMl.ModelProto model = OnnxExporter.export(weights, OnnxExportOptions.of(GraphForm.FUSED));
        Path inline = temp.resolve("inline.onnx");
        Path external = temp.resolve("external.onnx");
        OnnxFiles.write(model, inline, false);
        OnnxFiles.write(model, external, true);
        assertThat(Files.size(temp.resolve("external.onnx.data"))).isPositive();
        assertThat(Files.size(external)).isLessThan(Files.size(inline));
        float[] a;
        float[] b;
        try (OnnxRuntimeEngine engine = new OnnxRuntimeEngine(inline, CONFIG, new EngineOptions(1))) {
            a = engine.forward(images, 2);
        }
        try (OnnxRuntimeEngine engine = new OnnxRuntimeEngine(external, CONFIG, new EngineOptions(1))) {
            b = engine.forward(images, 2);
        }
        assertThat(b).containsExactly(a);
        String checkerMissing = OnnxChecker.unavailableReason();
        if (checkerMissing == null) {
            assertThat(OnnxChecker.check(external).code()).isZero();
        }
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).collect(Collectors.toList());
    }
}
