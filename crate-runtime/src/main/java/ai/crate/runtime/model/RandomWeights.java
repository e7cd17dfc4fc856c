package ai.crate.runtime.model;

import ai.crate.runtime.checkpoint.CheckpointException;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.tensor.Shapes;
import ai.crate.runtime.tensor.Tensor;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random weights for a config, deterministic given the seed and scaled as a trained model's roughly are (LayerNorm
 * weights near 1, products with variance 1/fan-in), for benchmarks and tests that need a model but no checkpoint.
 */
public final class RandomWeights {
    private RandomWeights() {
    }

    public static CrateWeights of(CrateConfig config, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> entry : WeightKeys.expected(config).entrySet()) {
            String key = entry.getKey();
            int[] shape = entry.getValue();
            float[] values = new float[Shapes.numel(shape)];
            boolean norm = key.contains("norm.") || key.startsWith(WeightKeys.PATCH_NORM)
                    || key.startsWith(WeightKeys.EMBED_NORM) || key.startsWith(WeightKeys.HEAD_NORM);
            double scale = shape.length == 2 ? 1.0 / Math.sqrt(shape[1]) : norm || key.endsWith("bias") ? 0.1 : 1.0;
            double offset = norm && key.endsWith("weight") ? 1.0 : 0.0;
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (offset + scale * (2 * random.nextDouble() - 1));
            }
            tensors.put(key, Tensor.of(key, shape, values));
        }
        try {
            return CrateWeights.of(config, tensors, Path.of("random-seed-" + seed));
        } catch (CheckpointException e) {
            throw new IllegalStateException("random weights do not fit their own config", e);
        }
    }
}
