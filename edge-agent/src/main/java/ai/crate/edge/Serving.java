package ai.crate.edge;

import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A model ready to classify on the agent: the bundle it came from, the loaded model and its engine. Close it to free
 * the engine.
 */
record Serving(Path bundle, LoadedModel model, CrateEngine engine) implements AutoCloseable {

    /** Loads {@code bundle} (checking every file's sha256) and builds its engine as {@code config} says. */
    static Serving open(Path bundle, AgentConfig config) throws Exception {
        LoadedModel model = ModelLoader.load(bundle, Optional.empty());
        return new Serving(bundle, model, Engines.create(config.engine(), model.weights(),
                new EngineOptions(config.engineThreads())));
    }

    String version() {
        return model.version();
    }

    @Override
    public void close() {
        engine.close();
    }
}
