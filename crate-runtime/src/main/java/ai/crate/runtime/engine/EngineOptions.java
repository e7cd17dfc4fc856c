package ai.crate.runtime.engine;

/** Options every engine understands: {@code threads} is the number of worker threads (default: available cores). */
public record EngineOptions(int threads) {
    public EngineOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    public static EngineOptions defaults() {
        return new EngineOptions(Runtime.getRuntime().availableProcessors());
    }
}
