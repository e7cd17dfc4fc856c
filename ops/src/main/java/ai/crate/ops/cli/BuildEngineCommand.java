package ai.crate.ops.cli;

import ai.crate.runtime.engine.tensorrt.BatchProfiles;
import ai.crate.runtime.engine.tensorrt.Precision;
import ai.crate.runtime.engine.tensorrt.TensorRtBuilder;
import ai.crate.runtime.engine.tensorrt.TensorRtProbe;
import ai.onnx.proto.OnnxMl;
import com.google.protobuf.InvalidProtocolBufferException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code crate build-engine}: a TensorRT plan from an exported ONNX file, for deployments that ship plans. */
@Command(name = "build-engine", mixinStandardHelpOptions = true,
        description = "Build a TensorRT plan from an ONNX file (needs an NVIDIA GPU and TensorRT 10).")
final class BuildEngineCommand implements Callable<Integer> {
    @Option(names = "--onnx", required = true, paramLabel = "F", description = "ONNX file from export-onnx.")
    Path onnx;

    @Option(names = "--precision", defaultValue = "fp16", paramLabel = "fp32|fp16|int8",
            description = "Plan precision; int8 needs Q/DQ nodes in the ONNX (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--batch", split = ",", defaultValue = "1,8,32", paramLabel = "B",
            description = "Batch sizes to build optimisation profiles for (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--output", required = true, paramLabel = "F.plan", description = "Plan file to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
        Precision chosen = Precision.fromKey(precision);
        BatchProfiles profiles = BatchProfiles.of(batches);
        byte[] bytes = Files.readAllBytes(onnx);
        OnnxMl.ModelProto model;
        try {
            model = OnnxMl.ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(onnx + ": not an ONNX model (" + e.getMessage() + ")");
        }
        if (model.getGraph().getInputCount() != 1) {
            throw new IllegalArgumentException(onnx + ": expected one input (images), found "
                    + model.getGraph().getInputCount());
        }
        OnnxMl.ValueInfoProto input = model.getGraph().getInput(0);
        List<OnnxMl.TensorShapeProto.Dimension> dims = input.getType().getTensorType().getShape().getDimList();
        if (dims.size() != 4 || dims.subList(1, 4).stream().anyMatch(d -> d.getDimValue() <= 0)) {
            throw new IllegalArgumentException(onnx + ": input " + input.getName()
                    + " must be [batch, C, H, W] with static C, H, W");
        }
        boolean quantized = model.getGraph().getNodeList().stream()
                .anyMatch(node -> node.getOpType().equals("QuantizeLinear"));
        if (chosen == Precision.INT8 && !quantized) {
            throw new IllegalArgumentException(onnx + ": int8 needs explicit quantization (QuantizeLinear/"
                    + "DequantizeLinear nodes) from calibration; this model has none: use fp16 or fp32");
        }
        TensorRtProbe.Result probe = TensorRtProbe.probe();
        if (!probe.available()) {
            throw new IllegalStateException("tensorrt unavailable: " + probe.reason());
        }
        long[] imageShape = {dims.get(1).getDimValue(), dims.get(2).getDimValue(), dims.get(3).getDimValue()};
        byte[] plan = TensorRtBuilder.build(bytes, onnx, input.getName(), imageShape, chosen, profiles);
        Path temp = output.resolveSibling(output.getFileName() + ".tmp");
        try {
            Files.write(temp, plan);
            Files.move(temp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
        System.out.printf("wrote %s: %s plan for %s (compute %s, TensorRT %s), profiles %s, %d MiB%n", output,
                chosen.key(), probe.gpu().name(), probe.gpu().computeCapability(), probe.gpu().tensorRtVersion(),
                profiles.key(), plan.length >> 20);
        return 0;
    }
}
