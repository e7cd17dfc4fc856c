package ai.crate.runtime.bundle;

import ai.crate.runtime.config.CrateConfig;

import java.time.Instant;
import java.util.Map;

/**
 * The manifest of a model bundle: identity ({@code name}, {@code version}, {@code parentVersion}), the model config,
 * the labels file, preprocessing, the sha256 of every other file in the bundle, and when it was created.
 */
public record BundleManifest(String name, String version, String parentVersion, CrateConfig config,
        String labelsFile, Preprocessing preprocessing, Map<String, String> sha256, Instant created) {
    public static final String FILE = "manifest.json";
    public static final String WEIGHTS = "weights.safetensors";
    public static final String LABELS = "labels.txt";
    public static final int FORMAT = 1;
}
