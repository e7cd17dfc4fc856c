package ai.crate.runtime.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Options engines understand: {@code threads} for CPU work (default: available cores); for GPU engines the
 * {@code precision} ({@code fp32}, {@code fp16}, {@code int8}), the {@code batchSizes} to build optimisation profiles
 * for, and the {@code cacheDirectory} where built plans are kept. Engines ignore what does not apply to them.
 */
public record EngineOptions(int threads, String precision, List<Integer> batchSizes, Path cacheDirectory) {
    public static final List<Integer> DEFAULT_BATCH_SIZES = List.of(1, 8, 32);

    public EngineOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        precision = precision.toLowerCase(Locale.ROOT);
        batchSizes = List.copyOf(batchSizes);
    }

    /** CPU options with {@code threads} workers and the GPU defaults. */
    public EngineOptions(int threads) {
        this(threads, "fp32", DEFAULT_BATCH_SIZES, defaultCacheDirectory());
    }

    public static EngineOptions defaults() {
        return new EngineOptions(Runtime.getRuntime().availableProcessors());
    }

    public EngineOptions withPrecision(String newPrecision) {
        return new EngineOptions(threads, newPrecision, batchSizes, cacheDirectory);
    }

    public EngineOptions withBatchSizes(List<Integer> newBatchSizes) {
        return new EngineOptions(threads, precision, newBatchSizes, cacheDirectory);
    }

    public EngineOptions withCacheDirectory(Path directory) {
        return new EngineOptions(threads, precision, batchSizes, directory);
    }

    /** {@code $CRATE_ENGINE_CACHE}, else {@code ~/.cache/crate/engines}. */
    public static Path defaultCacheDirectory() {
        String configured = System.getenv("CRATE_ENGINE_CACHE");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "crate", "engines");
    }
}
