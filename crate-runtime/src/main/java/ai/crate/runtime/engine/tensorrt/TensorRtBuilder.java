package ai.crate.runtime.engine.tensorrt;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvonnxparser.IParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a serialized TensorRT plan from ONNX bytes: the ONNX parser, the precision's builder flags (TF32 off for
 * FP32, FP16 kernels for FP16, INT8 only from a graph with Q/DQ nodes) and one optimisation profile per batch size.
 * Needs a GPU; callers check {@link TensorRtProbe} first.
 */
public final class TensorRtBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(TensorRtBuilder.class);

    private TensorRtBuilder() {
    }

    /**
     * @param onnx        the model, as the exporter writes it (input {@code images} [batch, C, H, W])
     * @param onnxFile    where the model was read from, so external data beside it is found; null for none
     * @param imageShape  {@code {C, H, W}}
     * @return the serialized plan
     */
    public static byte[] build(byte[] onnx, Path onnxFile, String inputName, long[] imageShape, Precision precision,
            BatchProfiles profiles) {
        TensorRtLogger logger = TensorRtLogger.instance();
        List<AutoCloseable> resources = new ArrayList<>();
        long start = System.nanoTime();
        try {
            IBuilder builder = track(resources, nvinfer.createInferBuilder(logger), "createInferBuilder");
            INetworkDefinition network = track(resources, builder.createNetworkV2(0), "createNetworkV2");
            IParser parser = track(resources, nvonnxparser.createParser(network, logger), "createParser");
            BytePointer model = track(resources, new BytePointer(onnx), "model bytes");
            boolean parsed = onnxFile == null ? parser.parse(model, onnx.length)
                    : parser.parse(model, onnx.length, onnxFile.toAbsolutePath().toString());
            if (!parsed) {
                StringBuilder errors = new StringBuilder();
                for (int i = 0; i < parser.getNbErrors(); i++) {
                    errors.append(i == 0 ? "" : "; ").append(parser.getError(i).nodeOperator()).append(" ")
                            .append(parser.getError(i).nodeName()).append(": ").append(parser.getError(i).desc());
                }
                throw new IllegalStateException("TensorRT's ONNX parser rejected the model: " + errors);
            }
            IBuilderConfig config = track(resources, builder.createBuilderConfig(), "createBuilderConfig");
            switch (precision) {
                case FP32:
                    config.clearFlag(nvinfer.BuilderFlag.kTF32);
                    break;
                case FP16:
                    config.setFlag(nvinfer.BuilderFlag.kFP16);
                    break;
                case INT8:
                    config.setFlag(nvinfer.BuilderFlag.kINT8);
                    config.setFlag(nvinfer.BuilderFlag.kFP16);
                    break;
                default:
                    throw new IllegalArgumentException("precision " + precision);
            }
            for (BatchProfiles.Profile p : profiles.profiles()) {
                IOptimizationProfile profile = builder.createOptimizationProfile();
                profile.setDimensions(inputName, nvinfer.OptProfileSelector.kMIN, dims(p.min(), imageShape));
                profile.setDimensions(inputName, nvinfer.OptProfileSelector.kOPT, dims(p.opt(), imageShape));
                profile.setDimensions(inputName, nvinfer.OptProfileSelector.kMAX, dims(p.max(), imageShape));
                if (config.addOptimizationProfile(profile) < 0) {
                    throw new IllegalStateException("TensorRT refused optimisation profile " + p);
                }
            }
            IHostMemory plan = track(resources, builder.buildSerializedNetwork(network, config),
                    "buildSerializedNetwork (see the TensorRT errors logged above)");
            byte[] bytes = new byte[Math.toIntExact(plan.size())];
            new BytePointer(plan.data()).capacity(plan.size()).get(bytes);
            LOG.info("tensorrt: built a {} plan ({} profiles: {}) in {} s, {} MiB", precision.key(),
                    profiles.profiles().size(), profiles.key(), (System.nanoTime() - start) / 1_000_000_000L,
                    bytes.length >> 20);
            return bytes;
        } finally {
            for (int i = resources.size() - 1; i >= 0; i--) {
                try {
                    resources.get(i).close();
                } catch (Exception e) {
                    LOG.debug("tensorrt: releasing a builder object failed", e);
                }
            }
        }
    }

    static Dims64 dims(int batch, long[] imageShape) {
        Dims64 dims = new Dims64();
        dims.nbDims(1 + imageShape.length);
        dims.d(0, batch);
        for (int i = 0; i < imageShape.length; i++) {
            dims.d(i + 1, imageShape[i]);
        }
        return dims;
    }

    private static <T extends org.bytedeco.javacpp.Pointer> T track(List<AutoCloseable> resources, T pointer,
            String what) {
        if (pointer == null || pointer.isNull()) {
            throw new IllegalStateException("TensorRT " + what + " failed");
        }
        resources.add(pointer);
        return pointer;
    }
}
