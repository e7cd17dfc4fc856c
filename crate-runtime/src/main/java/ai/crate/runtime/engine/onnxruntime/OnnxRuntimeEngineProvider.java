package ai.crate.runtime.engine.onnxruntime;

import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.EngineProvider;
import ai.crate.runtime.model.CrateWeights;
import ai.onnxruntime.OrtEnvironment;

/**
 * Registers {@link OnnxRuntimeEngine} as {@code onnxruntime}: second to TensorRT when ONNX Runtime has CUDA, otherwise
 * the CPU choice ahead of the reference engine. Its probe loads the native library and reports why it cannot.
 */
public final class OnnxRuntimeEngineProvider implements EngineProvider {
    @Override
    public String name() {
        return OnnxRuntimeEngine.NAME;
    }

    @Override
    public int priority() {
        return probe().available() && OnnxRuntimeEngine.cudaAvailable() ? 80 : 20;
    }

    @Override
    public Availability probe() {
        try {
            OrtEnvironment.getEnvironment();
            return Availability.yes(OnnxRuntimeEngine.cudaAvailable() ? "CUDA execution provider"
                    : "CPU execution provider (this ONNX Runtime build has no CUDA provider)");
        } catch (Throwable e) {
            return Availability.no("ONNX Runtime's native library cannot load on this platform: " + e);
        }
    }

    @Override
    public CrateEngine create(CrateWeights weights, EngineOptions options) {
        return new OnnxRuntimeEngine(weights, options);
    }
}
