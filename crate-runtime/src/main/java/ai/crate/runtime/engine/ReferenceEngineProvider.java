package ai.crate.runtime.engine;

import ai.crate.runtime.model.CrateWeights;

/** Registers {@link ReferenceEngine} as {@code reference}: always available, lowest priority for {@code auto}. */
public final class ReferenceEngineProvider implements EngineProvider {
    @Override
    public String name() {
        return ReferenceEngine.NAME;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Availability probe() {
        return Availability.yes("pure Java, always available (the readable oracle, not fast)");
    }

    @Override
    public CrateEngine create(CrateWeights weights, EngineOptions options) {
        return new ReferenceEngine(weights, options);
    }
}
