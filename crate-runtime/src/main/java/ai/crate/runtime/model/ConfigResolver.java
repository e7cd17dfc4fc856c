package ai.crate.runtime.model;

import ai.crate.runtime.config.ConfigException;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.PartialConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Completes a (possibly partial) config from a state dict's shapes and refuses one that contradicts them, naming
 * the key, what the config says, what the weights say, and the fix.
 */
public final class ConfigResolver {
    private ConfigResolver() {
    }

    public static CrateConfig resolve(Path source, PartialConfig given, WeightShapes shapes) throws ConfigException {
        PartialConfig filled = given;
        if (filled.dim() == null && shapes.dim() != null) {
            filled = filled.withDim(shapes.dim());
        }
        if (filled.depth() == null && shapes.depth() != null) {
            filled = filled.withDepth(shapes.depth());
        }
        if (filled.numClasses() == null && shapes.numClasses() != null) {
            filled = filled.withNumClasses(shapes.numClasses());
        }
        if (filled.dimHead() == null && filled.heads() != null && shapes.innerDim() != null
                && filled.heads() > 0 && shapes.innerDim() % filled.heads() == 0) {
            filled = filled.withDimHead(shapes.innerDim() / filled.heads());
        }
        CrateConfig config;
        try {
            config = filled.complete();
        } catch (ConfigException e) {
            throw new ConfigException(source + ": " + e.getMessage() + " (" + shapes.describe() + ")");
        }
        List<String> contradictions = new ArrayList<>();
        check(contradictions, "dim", config.dim(), shapes.dim(), "cls_token");
        check(contradictions, "depth", config.depth(), shapes.depth(), "transformer.layers.*");
        check(contradictions, "num_classes", config.numClasses(), shapes.numClasses(), "mlp_head.1.weight");
        if (shapes.innerDim() != null && config.innerDim() != shapes.innerDim()) {
            contradictions.add("heads * dim_head = " + config.heads() + " * " + config.dimHead() + " = "
                    + config.innerDim() + " but qkv.weight has " + shapes.innerDim()
                    + " rows: choose heads and dim_head with that product");
        }
        if (shapes.patchDim() != null && config.patchDim() != shapes.patchDim()) {
            contradictions.add("channels * patch_size = " + config.channels() + " * " + config.patchHeight() + " * "
                    + config.patchWidth() + " = " + config.patchDim() + " but to_patch_embedding.1.weight has "
                    + shapes.patchDim() + " values per patch: fix patch_size or channels");
        }
        if (shapes.tokens() != null && config.tokens() != shapes.tokens()) {
            contradictions.add("image_size " + config.imageHeight() + "x" + config.imageWidth() + " with patch_size "
                    + config.patchHeight() + "x" + config.patchWidth() + " makes " + config.numPatches()
                    + " patches but pos_embedding has " + (shapes.tokens() - 1) + ": fix image_size or patch_size");
        }
        if (shapes.innerDim() != null && shapes.dim() != null && config.projectOut() != shapes.projectOut()) {
            contradictions.add(shapes.projectOut()
                    ? "heads=1 with dim_head=dim means no to_out, but the weights have to_out.0: check heads"
                    : "the weights have no to_out.0, which only heads=1 with dim_head=dim allows: set heads to 1");
        }
        if (!contradictions.isEmpty()) {
            throw new ConfigException(source + ": config contradicts the weights: " + String.join("; ", contradictions));
        }
        return config;
    }

    private static void check(List<String> contradictions, String key, int configured, Integer actual, String from) {
        if (actual != null && actual != configured) {
            contradictions.add("config says " + key + "=" + configured + " but the weights have " + key + "="
                    + actual + " (" + from + "): set \"" + key + "\": " + actual);
        }
    }
}
