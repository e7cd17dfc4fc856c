package ai.crate.ops.cli;

import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.model.CrateWeights;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The {@code --engine}, {@code --threads} and {@code --batch-size} options, and the chunked run they control. */
final class EngineOptionsMixin {
    @Option(names = "--engine", defaultValue = Engines.AUTO,
            description = "Engine name, or auto for the best available (default: ${DEFAULT-VALUE}).")
    String engine;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--batch-size", defaultValue = "16",
            description = "Images per engine call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|fp16",
            description = "GPU engines: plan precision (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--engine-cache", paramLabel = "DIR",
            description = "GPU engines: where built plans are cached (default: $CRATE_ENGINE_CACHE or"
                    + " ~/.cache/crate/engines).")
    Path engineCache;

    CrateEngine create(CrateWeights weights) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        }
        EngineOptions options = (threads == null ? EngineOptions.defaults() : new EngineOptions(threads))
                .withPrecision(precision).withBatchSizes(List.of(batchSize));
        if (engineCache != null) {
            options = options.withCacheDirectory(engineCache);
        }
        return Engines.create(engine, weights, options);
    }

    /**
     * Runs all images through the engine in chunks of {@code --batch-size}, telling the observer the image's index in
     * the whole input, and reporting progress on stderr when there is more than one chunk.
     */
    float[] run(CrateEngine engine, ImageInput input, LayerObserver observer) {
        int classes = engine.config().numClasses();
        int imageSize = input.images().length / input.batch();
        float[] logits = new float[input.batch() * classes];
        long start = System.nanoTime();
        for (int from = 0; from < input.batch(); from += batchSize) {
            int count = Math.min(batchSize, input.batch() - from);
            float[] chunk = Arrays.copyOfRange(input.images(), from * imageSize, (from + count) * imageSize);
            int offset = from;
            LayerObserver shifted = observer.wantsLayers()
                    ? (image, layer, tensors) -> observer.onLayer(offset + image, layer, tensors)
                    : LayerObserver.NONE;
            float[] out = engine.forward(chunk, count, shifted);
            System.arraycopy(out, 0, logits, from * classes, count * classes);
            if (input.batch() > batchSize) {
                System.err.printf("%s: %d/%d images, %.1f s%n", engine.name(), from + count, input.batch(),
                        (System.nanoTime() - start) / 1e9);
            }
        }
        return logits;
    }
}
