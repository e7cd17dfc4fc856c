package ai.crate.ops.cli;

import ai.crate.runtime.bundle.Sha256;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.onnx.GraphForm;
import ai.crate.runtime.onnx.OnnxExportOptions;
import ai.crate.runtime.onnx.OnnxExporter;
import ai.crate.runtime.onnx.OnnxFiles;
import ai.onnx.proto.OnnxMl;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code crate export-onnx}: the model as an ONNX file for ONNX Runtime and TensorRT. */
@Command(name = "export-onnx", mixinStandardHelpOptions = true,
        description = "Export the model to ONNX (opset 17, input images [batch, C, H, W], output logits).")
final class ExportOnnxCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--output", required = true, paramLabel = "F.onnx", description = "ONNX file to write.")
    Path output;

    @Option(names = "--graph", defaultValue = "fused", paramLabel = "reference|fused",
            description = "reference: op for op as the spec; fused: LayerNorm and ISTA folds, heads batched"
                    + " (default: ${DEFAULT-VALUE}).")
    String graph;

    @Option(names = "--fp16", description = "Store weights as float16 (cast to float32 in the graph).")
    boolean fp16;

    @Option(names = "--codes-layers", split = ",", paramLabel = "L",
            description = "Layers whose sparse codes (ISTA output) become extra outputs codes_<L>.")
    List<Integer> codesLayers = List.of();

    @Option(names = "--external-data", description = "Put weights in <F>.onnx.data (automatic above 1.8 GB).")
    boolean externalData;

    @Override
    public Integer call() throws Exception {
        LoadedModel model = modelOptions.load();
        OnnxExportOptions options = new OnnxExportOptions(GraphForm.fromKey(graph), fp16, codesLayers, false);
        long start = System.nanoTime();
        OnnxMl.ModelProto onnx = OnnxExporter.export(model.weights(), options);
        OnnxFiles.write(onnx, output, externalData || OnnxFiles.initializerBytes(onnx) > OnnxFiles.EXTERNAL_DATA_THRESHOLD);
        Map<String, Integer> ops = new TreeMap<>();
        onnx.getGraph().getNodeList().forEach(node -> ops.merge(node.getOpType(), 1, Integer::sum));
        System.out.printf("wrote %s: %s graph, opset %d, %d nodes %s, %d MiB, %.1f s, sha256 %s%n", output, graph,
                OnnxExporter.OPSET, onnx.getGraph().getNodeCount(), ops, Files.size(output) >> 20,
                (System.nanoTime() - start) / 1e9, Sha256.of(output));
        return 0;
    }
}
