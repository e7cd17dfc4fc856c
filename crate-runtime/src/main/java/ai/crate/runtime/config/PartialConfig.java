package ai.crate.runtime.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A config with some keys left out, as a user may write it next to a checkpoint: keys the weights determine
 * ({@code dim}, {@code depth}, {@code num_classes}, and {@code dim_head} once {@code heads} is known) can be filled
 * from them; the rest fall back to the authors' constructor defaults ({@code pool} cls, {@code channels} 3,
 * {@code ista} 0.1, {@code lambd} 0.1) or are required ({@code image_size}, {@code patch_size}, {@code heads}).
 * Null means "not given".
 */
public record PartialConfig(
        int[] imageSize,
        int[] patchSize,
        Integer numClasses,
        Integer dim,
        Integer depth,
        Integer heads,
        Integer dimHead,
        Pool pool,
        Integer channels,
        Float ista,
        Float lambd) {

    public static PartialConfig of(CrateConfig c) {
        return new PartialConfig(new int[] {c.imageHeight(), c.imageWidth()}, new int[] {c.patchHeight(), c.patchWidth()},
                c.numClasses(), c.dim(), c.depth(), c.heads(), c.dimHead(), c.pool(), c.channels(), c.ista(), c.lambd());
    }

    /** The config with defaults applied; fails naming every key that is still missing. */
    public CrateConfig complete() throws ConfigException {
        List<String> missing = new ArrayList<>();
        require(missing, imageSize, "image_size");
        require(missing, patchSize, "patch_size");
        require(missing, numClasses, "num_classes");
        require(missing, dim, "dim");
        require(missing, depth, "depth");
        require(missing, heads, "heads");
        if (!missing.isEmpty()) {
            throw new ConfigException("config lacks " + String.join(", ", missing) + ": add "
                    + (missing.size() == 1 ? "it" : "them") + " to the config JSON, or use --arch tiny|small|base|large");
        }
        return CrateConfig.builder()
                .imageSize(imageSize[0], imageSize[1])
                .patchSize(patchSize[0], patchSize[1])
                .numClasses(numClasses)
                .dim(dim)
                .depth(depth)
                .heads(heads)
                .dimHead(dimHead != null ? dimHead : 64)
                .pool(pool != null ? pool : Pool.CLS)
                .channels(channels != null ? channels : 3)
                .ista(ista != null ? ista : 0.1f)
                .lambd(lambd != null ? lambd : 0.1f)
                .build();
    }

    public PartialConfig withDim(int value) {
        return new PartialConfig(imageSize, patchSize, numClasses, value, depth, heads, dimHead, pool, channels, ista,
                lambd);
    }

    public PartialConfig withDepth(int value) {
        return new PartialConfig(imageSize, patchSize, numClasses, dim, value, heads, dimHead, pool, channels, ista,
                lambd);
    }

    public PartialConfig withNumClasses(int value) {
        return new PartialConfig(imageSize, patchSize, value, dim, depth, heads, dimHead, pool, channels, ista, lambd);
    }

    public PartialConfig withDimHead(int value) {
        return new PartialConfig(imageSize, patchSize, numClasses, dim, depth, heads, value, pool, channels, ista,
                lambd);
    }

    private static void require(List<String> missing, Object value, String key) {
        if (value == null) {
            missing.add(key);
        }
    }
}
