package ai.crate.runtime.bundle;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.whitebox.WhiteBoxReference;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The manifest of a model bundle: identity ({@code name}, {@code version}, {@code parentVersion}), the model config,
 * the labels file, preprocessing, the sha256 of every other file in the bundle, when it was created, and optionally
 * the white-box reference its drift detection compares with (null when absent), and what it was trained on with the
 * measurements that admitted it ({@code training}: strings and numbers by name, empty when not recorded).
 */
public record BundleManifest(String name, String version, String parentVersion, CrateConfig config,
        String labelsFile, Preprocessing preprocessing, Map<String, String> sha256, Instant created,
        WhiteBoxReference whiteboxReference, Map<String, Object> training) {
    public static final String FILE = "manifest.json";
    public static final String WEIGHTS = "weights.safetensors";
    public static final String LABELS = "labels.txt";
    public static final int FORMAT = 1;

    public BundleManifest {
        training = training == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(training));
    }

    /** This manifest with {@code reference} as its white-box reference. */
    public BundleManifest withReference(WhiteBoxReference reference) {
        return new BundleManifest(name, version, parentVersion, config, labelsFile, preprocessing, sha256, created,
                reference, training);
    }

    /** This manifest with {@code summary} as its training record. */
    public BundleManifest withTraining(Map<String, Object> summary) {
        return new BundleManifest(name, version, parentVersion, config, labelsFile, preprocessing, sha256, created,
                whiteboxReference, summary);
    }
}
