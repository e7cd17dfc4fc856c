package ai.crate.runtime.testing;

import ai.crate.runtime.checkpoint.CheckpointException;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.model.WeightKeys;
import ai.crate.runtime.tensor.Shapes;
import ai.crate.runtime.tensor.Tensor;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The counter-based generator of {@code src/test/python/make_fixtures.py}, bit for bit: deterministic weights and
 * inputs for any config, so preset fixtures need only their expected outputs committed.
 */
public final class FixtureWeights {
    private FixtureWeights() {
    }

    public static float[] values(String key, int count, float scale, float offset) {
        long seed = fnv1a(key);
        float[] out = new float[count];
        float two = 2f;
        float one = 1f;
        float unit = (float) Math.pow(2, -24);
        for (int i = 0; i < count; i++) {
            long x = seed + (i + 1L) * 0x9E3779B97F4A7C15L;
            long z = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z = z ^ (z >>> 31);
            float u = (float) (z >>> 40) * unit;
            float centred = two * u - one;
            out[i] = scale * centred + offset;
        }
        return out;
    }

    /** The input images {@code [batch, C, H, W]} of the preset fixtures (key "input", scale 2). */
    public static float[] input(CrateConfig config, int batch) {
        return values("input", batch * config.channels() * config.imageHeight() * config.imageWidth(), 2f, 0f);
    }

    public static CrateWeights weights(CrateConfig config) throws CheckpointException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> entry : WeightKeys.expected(config).entrySet()) {
            String key = entry.getKey();
            int[] shape = entry.getValue();
            float scale;
            float offset = 0f;
            if (isLayerNorm(key)) {
                boolean weight = key.endsWith(".weight");
                scale = weight ? 0.2f : 0.1f;
                offset = weight ? 1f : 0f;
            } else if (shape.length == 2) {
                scale = (float) (1.0 / Math.sqrt(shape[1]));
            } else if (key.endsWith(".bias")) {
                scale = 0.1f;
            } else {
                scale = 1f;
            }
            tensors.put(key, Tensor.of(key, shape, values(key, Shapes.numel(shape), scale, offset)));
        }
        return CrateWeights.of(config, tensors, Path.of("generated"));
    }

    private static boolean isLayerNorm(String key) {
        return key.contains("norm.") || key.startsWith(WeightKeys.PATCH_NORM) || key.startsWith(WeightKeys.EMBED_NORM)
                || key.startsWith(WeightKeys.HEAD_NORM);
    }

    private static long fnv1a(String key) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }
}
