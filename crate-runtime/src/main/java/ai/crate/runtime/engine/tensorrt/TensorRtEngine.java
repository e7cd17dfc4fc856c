package ai.crate.runtime.engine.tensorrt;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.ImageBatches;
import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.onnx.GraphForm;
import ai.crate.runtime.onnx.OnnxExportOptions;
import ai.crate.runtime.onnx.OnnxExporter;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.bytedeco.tensorrt.nvinfer.IRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * CRATE as a TensorRT engine. The plan comes from the {@link PlanCache} when one exists for (model, GPU, TensorRT
 * version, precision, profiles), else it is built from the fused ONNX export and stored; a cached plan TensorRT
 * refuses is rebuilt once. Inference copies through pinned host buffers on one CUDA stream with {@code enqueueV3}.
 * Calls are serialised (an execution context is not thread-safe); for parallel inference create one engine per
 * thread. {@link #close()} frees the device and pinned memory, the stream and the TensorRT objects.
 */
public final class TensorRtEngine implements CrateEngine {
    public static final String NAME = "tensorrt";
    private static final Logger LOG = LoggerFactory.getLogger(TensorRtEngine.class);

    private final CrateConfig config;
    private final BatchProfiles profiles;
    private final TensorRtLogger logger;
    private final IRuntime runtime;
    private final ICudaEngine engine;
    private final List<IExecutionContext> contexts = new ArrayList<>();
    private final CUstream_st stream;
    private final Pointer deviceInput = new Pointer();
    private final Pointer deviceOutput = new Pointer();
    private final Pointer hostInput = new Pointer();
    private final Pointer hostOutput = new Pointer();
    private final long inputFloats;
    private final long outputFloats;
    private boolean closed;

    public TensorRtEngine(CrateWeights weights, EngineOptions options) {
        TensorRtProbe.Result probe = TensorRtProbe.probe();
        if (!probe.available()) {
            throw new IllegalStateException("tensorrt unavailable: " + probe.reason());
        }
        this.config = weights.config();
        this.profiles = BatchProfiles.of(options.batchSizes());
        Precision precision = Precision.fromKey(options.precision());
        if (precision == Precision.INT8) {
            throw new IllegalArgumentException("int8 needs an ONNX model with Q/DQ nodes from calibration; build it"
                    + " with `bin/crate build-engine --onnx calibrated.onnx --precision int8`, or use fp16/fp32");
        }
        byte[] onnx = OnnxExporter.export(weights, OnnxExportOptions.of(GraphForm.FUSED)).toByteArray();
        PlanKey key = PlanKey.of(PlanKey.sha256(onnx), probe.gpu(), precision, profiles);
        PlanCache cache = new PlanCache(options.cacheDirectory());
        long[] imageShape = {config.channels(), config.imageHeight(), config.imageWidth()};

        this.logger = TensorRtLogger.instance();
        this.stream = new CUstream_st();
        this.runtime = check(nvinfer.createInferRuntime(logger), "createInferRuntime");
        this.inputFloats = (long) profiles.maxBatch() * config.channels() * config.imageHeight() * config.imageWidth();
        this.outputFloats = (long) profiles.maxBatch() * config.numClasses();
        ICudaEngine built = null;
        try {
            built = loadOrBuild(cache, key, onnx, imageShape, precision);
            this.engine = built;
            cuda(cudart.cudaStreamCreate(stream), "cudaStreamCreate");
            for (BatchProfiles.Profile profile : profiles.profiles()) {
                IExecutionContext context = check(engine.createExecutionContext(), "createExecutionContext");
                contexts.add(context);
                if (!context.setOptimizationProfileAsync(profile.index(), stream)) {
                    throw new IllegalStateException("TensorRT refused optimisation profile " + profile.index());
                }
            }
            cuda(cudart.cudaMalloc(deviceInput, inputFloats * 4), "cudaMalloc(input)");
            cuda(cudart.cudaMalloc(deviceOutput, outputFloats * 4), "cudaMalloc(output)");
            cuda(cudart.cudaMallocHost(hostInput, inputFloats * 4), "cudaMallocHost(input)");
            cuda(cudart.cudaMallocHost(hostOutput, outputFloats * 4), "cudaMallocHost(output)");
        } catch (RuntimeException e) {
            release(built);
            throw e;
        }
        LOG.info("tensorrt: {} engine ready on {} (batches up to {})", precision.key(), probe.gpu().name(),
                profiles.maxBatch());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public CrateConfig config() {
        return config;
    }

    @Override
    public synchronized float[] forward(float[] images, int batch, LayerObserver observer) {
        if (closed) {
            throw new IllegalStateException("the tensorrt engine is closed");
        }
        if (observer.wantsLayers()) {
            throw new IllegalArgumentException("the tensorrt engine returns logits only; use --engine onnxruntime or"
                    + " reference for per-layer tensors");
        }
        ImageBatches.requireShape(config, images, batch);
        BatchProfiles.Profile profile = profiles.forBatch(batch);
        IExecutionContext context = contexts.get(profile.index());
        if (!context.setInputShape(OnnxExporter.INPUT, TensorRtBuilder.dims(batch,
                new long[] {config.channels(), config.imageHeight(), config.imageWidth()}))) {
            throw new IllegalStateException("TensorRT refused input shape for batch " + batch);
        }
        context.setTensorAddress(OnnxExporter.INPUT, deviceInput);
        context.setTensorAddress(OnnxExporter.LOGITS, deviceOutput);
        new FloatPointer(hostInput).capacity(inputFloats).put(images, 0, images.length);
        cuda(cudart.cudaMemcpyAsync(deviceInput, hostInput, images.length * 4L, cudart.cudaMemcpyHostToDevice,
                stream), "cudaMemcpyAsync(input)");
        if (!context.enqueueV3(stream)) {
            throw new IllegalStateException("TensorRT enqueueV3 failed (see the TensorRT errors logged above)");
        }
        int outputs = batch * config.numClasses();
        cuda(cudart.cudaMemcpyAsync(hostOutput, deviceOutput, outputs * 4L, cudart.cudaMemcpyDeviceToHost, stream),
                "cudaMemcpyAsync(output)");
        cuda(cudart.cudaStreamSynchronize(stream), "cudaStreamSynchronize");
        float[] logits = new float[outputs];
        new FloatPointer(hostOutput).capacity(outputFloats).get(logits, 0, outputs);
        return logits;
    }

    private ICudaEngine loadOrBuild(PlanCache cache, PlanKey key, byte[] onnx, long[] imageShape,
            Precision precision) {
        Optional<byte[]> cached = cache.load(key);
        if (cached.isPresent()) {
            ICudaEngine deserialized = deserialize(cached.get());
            if (deserialized != null) {
                LOG.info("tensorrt: using cached plan {}", cache.pathOf(key));
                return deserialized;
            }
            LOG.warn("tensorrt: cached plan {} was refused by TensorRT; rebuilding", cache.pathOf(key));
            cache.invalidate(key);
        }
        byte[] plan = TensorRtBuilder.build(onnx, null, OnnxExporter.INPUT, imageShape, precision, profiles);
        try {
            LOG.info("tensorrt: cached the plan as {}", cache.store(key, plan));
        } catch (IOException e) {
            LOG.warn("tensorrt: cannot cache the plan in {}: {}", cache.directory(), e.getMessage());
        }
        return check(deserialize(plan), "deserializeCudaEngine of a freshly built plan");
    }

    /** Frees what a failed constructor had already created. */
    private void release(ICudaEngine built) {
        free(deviceInput, false);
        free(deviceOutput, false);
        free(hostInput, true);
        free(hostOutput, true);
        if (!stream.isNull()) {
            cudart.cudaStreamDestroy(stream);
        }
        contexts.forEach(Pointer::close);
        if (built != null) {
            built.close();
        }
        runtime.close();
    }

    private ICudaEngine deserialize(byte[] plan) {
        try (BytePointer bytes = new BytePointer(plan)) {
            ICudaEngine result = runtime.deserializeCudaEngine(bytes, plan.length);
            return result == null || result.isNull() ? null : result;
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        cudart.cudaStreamSynchronize(stream);
        free(deviceInput, false);
        free(deviceOutput, false);
        free(hostInput, true);
        free(hostOutput, true);
        cudart.cudaStreamDestroy(stream);
        contexts.forEach(Pointer::close);
        engine.close();
        runtime.close();
    }

    private static void free(Pointer pointer, boolean pinned) {
        if (!pointer.isNull()) {
            int status = pinned ? cudart.cudaFreeHost(pointer) : cudart.cudaFree(pointer);
            if (status != 0) {
                LOG.warn("tensorrt: freeing CUDA memory failed: {}", cudart.cudaGetErrorString(status).getString());
            }
        }
    }

    private static <T extends Pointer> T check(T pointer, String what) {
        if (pointer == null || pointer.isNull()) {
            throw new IllegalStateException("TensorRT " + what + " failed (see the TensorRT errors logged above)");
        }
        return pointer;
    }

    private static void cuda(int status, String call) {
        if (status != 0) {
            throw new IllegalStateException(call + " failed: " + cudart.cudaGetErrorString(status).getString()
                    + " (CUDA error " + status + ")");
        }
    }
}
