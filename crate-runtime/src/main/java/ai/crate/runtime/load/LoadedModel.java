package ai.crate.runtime.load;

import ai.crate.runtime.bundle.Preprocessing;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.whitebox.WhiteBoxReference;

import java.nio.file.Path;
import java.util.List;

/**
 * A model ready for an engine: validated weights, labels (from the bundle, or {@code class_i}), preprocessing, where
 * it came from ({@code layout} says how the weights were found in the file), and the bundle's white-box reference
 * for drift detection (null for checkpoints and bundles without one).
 */
public record LoadedModel(Path source, String name, String version, String layout, CrateWeights weights,
        List<String> labels, Preprocessing preprocessing, WhiteBoxReference whiteboxReference) {

    public CrateConfig config() {
        return weights.config();
    }
}
