package ai.crate.runtime.engine.fast;

import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.EngineProvider;
import ai.crate.runtime.model.CrateWeights;

/**
 * Registers {@link FastEngine} as {@code fast}, the default CPU engine. Its probe checks, without loading any Vector API
 * class, that the JVM runs with {@code --add-modules=jdk.incubator.vector}; then that the Vector API still reads
 * ByteBuffers (JDK 19 replaced that with MemorySegments) and that OpenBLAS loads.
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
        if (!hasByteBufferAccess()) {
            return Availability.no("its Vector API kernels read ByteBuffers, which the Vector API of JDK 17 and 18"
                    + " offers and Java " + Runtime.version().feature() + " no longer does; run on Java 17");
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

    private static boolean hasByteBufferAccess() {
        try {
            Class<?> species = Class.forName("jdk.incubator.vector.VectorSpecies");
            Class.forName("jdk.incubator.vector.FloatVector").getMethod("fromByteBuffer", species,
                    java.nio.ByteBuffer.class, int.class, java.nio.ByteOrder.class);
            return true;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    @Override
    public CrateEngine create(CrateWeights weights, EngineOptions options) {
        return new FastEngine(weights, options);
    }
}
