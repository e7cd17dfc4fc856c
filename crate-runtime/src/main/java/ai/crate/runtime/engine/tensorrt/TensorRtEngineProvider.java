package ai.crate.runtime.engine.tensorrt;

import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.EngineProvider;
import ai.crate.runtime.model.CrateWeights;

/** Registers {@link TensorRtEngine} as {@code tensorrt}, first choice for {@code auto} when its probe finds a GPU. */
public final class TensorRtEngineProvider implements EngineProvider {
    @Override
    public String name() {
        return TensorRtEngine.NAME;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Availability probe() {
        TensorRtProbe.Result result = TensorRtProbe.probe();
        if (!result.available()) {
            return Availability.no(result.reason());
        }
        return Availability.yes(result.gpu().name() + ", compute " + result.gpu().computeCapability()
                + ", TensorRT " + result.gpu().tensorRtVersion());
    }

    @Override
    public CrateEngine create(CrateWeights weights, EngineOptions options) {
        return new TensorRtEngine(weights, options);
    }
}
