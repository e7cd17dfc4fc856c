package ai.crate.edge;

import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A model ready to classify on the agent: the bundle it came from, the loaded model and its engine. Close it to free
 * the engine.
 */
record Serving(Path bundle, LoadedModel model, CrateEngine engine) implements AutoCloseable {

    /**
     * Loads {@code bundle} (checking every file's sha256) and builds its engine as {@code config} says; a TensorRT
     * plan is built on this device for batch sizes 1 and {@code max_batch} and cached in {@code engine_cache_dir}.
     */
    static Serving open(Path bundle, AgentConfig config) throws Exception {
        LoadedModel model = ModelLoader.load(bundle, Optional.empty());
        EngineOptions options = new EngineOptions(config.engineThreads(), config.enginePrecision(),
                List.of(1, config.maxBatch()).stream().distinct().toList(), config.engineCacheDirectory());
        return new Serving(bundle, model, Engines.create(config.engine(), model.weights(), options));
    }

    String version() {
        return model.version();
    }

    @Override
    public void close() {
        engine.close();
    }
}
