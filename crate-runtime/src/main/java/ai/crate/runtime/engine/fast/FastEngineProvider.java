package ai.crate.runtime.engine.fast;

import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.EngineProvider;
import ai.crate.runtime.model.CrateWeights;

/**
 * Registers {@link FastEngine} as {@code fast}, the default CPU engine. Its probe checks, without loading any Vector API
 * class, that the JVM runs with {@code --add-modules=jdk.incubator.vector} and that OpenBLAS loads.
 */
public final class FastEngineProvider implements EngineProvider {
    @Override
    public String name() {
        return FastEngine.NAME;
    }

    @Override
    public int priority() {
        return 40;
    }

    @Override
    public Availability probe() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return Availability.no("the JVM was started without --add-modules=jdk.incubator.vector (bin/crate adds"
                    + " it; add it to your JVM options, e.g. Flink's env.java.opts.all)");
        }
        try {
            Blas.load();
        } catch (Throwable e) {
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            return Availability.no("OpenBLAS cannot load on this platform: " + cause);
        }
        return Availability.yes("OpenBLAS products on folded weights, Vector API kernels");
    }

    @Override
    public CrateEngine create(CrateWeights weights, EngineOptions options) {
        return new FastEngine(weights, options);
    }
}
