package ai.crate.runtime.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The shape of a CRATE model, with the authors' constructor keys ({@code image_size}, {@code patch_size},
 * {@code num_classes}, {@code dim}, {@code depth}, {@code heads}, {@code dim_head}, {@code pool}, {@code channels},
 * {@code ista}, {@code lambd}). Build one with {@link #builder()} or a preset ({@link Presets}); read and write it
 * as JSON with {@link CrateConfigJson}. Instances are always valid.
 */
public record CrateConfig(
        int imageHeight,
        int imageWidth,
        int patchHeight,
        int patchWidth,
        int numClasses,
        int dim,
        int depth,
        int heads,
        int dimHead,
        Pool pool,
        int channels,
        float ista,
        float lambd) {

    public static final float LAYER_NORM_EPS = 1e-5f;

    public CrateConfig {
        List<String> problems = problems(imageHeight, imageWidth, patchHeight, patchWidth, numClasses, dim, depth,
                heads, dimHead, pool, channels, ista, lambd);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this config. */
    public Builder toBuilder() {
        return new Builder().imageSize(imageHeight, imageWidth).patchSize(patchHeight, patchWidth)
                .numClasses(numClasses).dim(dim).depth(depth).heads(heads).dimHead(dimHead).pool(pool)
                .channels(channels).ista(ista).lambd(lambd);
    }

    /** Patches per image, N = (H/p1)·(W/p2). */
    public int numPatches() {
        return (imageHeight / patchHeight) * (imageWidth / patchWidth);
    }

    /** Tokens per image, T = N + 1 (the cls token). */
    public int tokens() {
        return numPatches() + 1;
    }

    /** Values per patch, p1·p2·C. */
    public int patchDim() {
        return patchHeight * patchWidth * channels;
    }

    /** Width of the subspace projection, K·p. */
    public int innerDim() {
        return heads * dimHead;
    }

    /** Whether attention has an output projection ({@code to_out.0}); absent only when K = 1 and p = d. */
    public boolean projectOut() {
        return !(heads == 1 && dimHead == dim);
    }

    public boolean squareImage() {
        return imageHeight == imageWidth;
    }

    public boolean squarePatch() {
        return patchHeight == patchWidth;
    }

    /** Number of learned parameters. */
    public long parameterCount() {
        long d = dim;
        long count = 2L * patchDim() + (long) patchDim() * d + d + 2 * d;
        count += d + (long) tokens() * d;
        long perLayer = 2 * d + (long) innerDim() * d + 2 * d + d * d;
        if (projectOut()) {
            perLayer += (long) innerDim() * d + d;
        }
        count += depth * perLayer;
        count += 2 * d + d * numClasses + numClasses;
        return count;
    }

    /**
     * Multiply-adds per image of the reference graph (the spec's forward pass op for op, ISTA as three products):
     * patch embedding, per layer {@code T·d·K·p} (projection) + {@code 2·T²·K·p} (attention) + {@code T·K·p·d}
     * (output projection, when present) + {@code 3·T·d²} (ISTA), and the head.
     */
    public long multiplyAdds() {
        long t = tokens();
        long d = dim;
        long inner = innerDim();
        long perLayer = t * d * inner + 2 * t * t * inner + 3 * t * d * d;
        if (projectOut()) {
            perLayer += t * inner * d;
        }
        return (long) numPatches() * patchDim() * d + depth * perLayer + d * numClasses;
    }

    private static List<String> problems(int imageHeight, int imageWidth, int patchHeight, int patchWidth,
            int numClasses, int dim, int depth, int heads, int dimHead, Pool pool, int channels, float ista,
            float lambd) {
        List<String> problems = new ArrayList<>();
        positive(problems, "image_size", imageHeight);
        positive(problems, "image_size", imageWidth);
        positive(problems, "patch_size", patchHeight);
        positive(problems, "patch_size", patchWidth);
        positive(problems, "num_classes", numClasses);
        positive(problems, "dim", dim);
        positive(problems, "depth", depth);
        positive(problems, "heads", heads);
        positive(problems, "dim_head", dimHead);
        positive(problems, "channels", channels);
        if (patchHeight > 0 && imageHeight > 0 && imageHeight % patchHeight != 0) {
            problems.add("image height " + imageHeight + " is not divisible by patch height " + patchHeight
                    + ": change image_size or patch_size so that image_size / patch_size is a whole number");
        }
        if (patchWidth > 0 && imageWidth > 0 && imageWidth % patchWidth != 0) {
            problems.add("image width " + imageWidth + " is not divisible by patch width " + patchWidth
                    + ": change image_size or patch_size so that image_size / patch_size is a whole number");
        }
        if (pool == null) {
            problems.add("pool is missing: use \"cls\" or \"mean\"");
        }
        if (!(ista > 0) || Float.isInfinite(ista)) {
            problems.add("ista must be a positive step size (the authors use 0.1), got " + ista);
        }
        if (!(lambd >= 0) || Float.isInfinite(lambd)) {
            problems.add("lambd must be a finite threshold >= 0 (the authors fix it at 0.1), got " + lambd);
        }
        if (problems.isEmpty()) {
            long tokens = (long) (imageHeight / patchHeight) * (imageWidth / patchWidth) + 1;
            long patchDim = (long) patchHeight * patchWidth * channels;
            long inner = (long) heads * dimHead;
            long limit = Integer.MAX_VALUE / 8;
            if (tokens * dim > limit || tokens * tokens > limit || patchDim * dim > limit || (long) dim * dim > limit
                    || inner * dim > limit || tokens * inner > limit || (long) numClasses * dim > limit) {
                problems.add("the model is too large for one float array per tensor (tokens=" + tokens + ", dim="
                        + dim + ", heads*dim_head=" + inner + ", patch values=" + patchDim
                        + "): reduce image_size, increase patch_size or reduce dim");
            }
        }
        return problems;
    }

    private static void positive(List<String> problems, String key, int value) {
        if (value <= 0) {
            problems.add(key + " must be a positive integer, got " + value);
        }
    }

    /** Assembles a {@link CrateConfig}; defaults are the authors' constructor defaults where they have one. */
    public static final class Builder {
        private int imageHeight;
        private int imageWidth;
        private int patchHeight;
        private int patchWidth;
        private int numClasses;
        private int dim;
        private int depth;
        private int heads;
        private int dimHead = 64;
        private Pool pool = Pool.CLS;
        private int channels = 3;
        private float ista = 0.1f;
        private float lambd = 0.1f;

        public Builder imageSize(int size) {
            return imageSize(size, size);
        }

        public Builder imageSize(int height, int width) {
            this.imageHeight = height;
            this.imageWidth = width;
            return this;
        }

        public Builder patchSize(int size) {
            return patchSize(size, size);
        }

        public Builder patchSize(int height, int width) {
            this.patchHeight = height;
            this.patchWidth = width;
            return this;
        }

        public Builder numClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        public Builder dim(int dim) {
            this.dim = dim;
            return this;
        }

        public Builder depth(int depth) {
            this.depth = depth;
            return this;
        }

        public Builder heads(int heads) {
            this.heads = heads;
            return this;
        }

        public Builder dimHead(int dimHead) {
            this.dimHead = dimHead;
            return this;
        }

        public Builder pool(Pool pool) {
            this.pool = pool;
            return this;
        }

        public Builder channels(int channels) {
            this.channels = channels;
            return this;
        }

        public Builder ista(float ista) {
            this.ista = ista;
            return this;
        }

        public Builder lambd(float lambd) {
            this.lambd = lambd;
            return this;
        }

        /** The config, or a {@link ConfigException} listing every problem with the key and the fix. */
        public CrateConfig build() throws ConfigException {
            List<String> problems = problems(imageHeight, imageWidth, patchHeight, patchWidth, numClasses, dim,
                    depth, heads, dimHead, pool, channels, ista, lambd);
            if (!problems.isEmpty()) {
                throw new ConfigException(String.join("; ", problems));
            }
            return new CrateConfig(imageHeight, imageWidth, patchHeight, patchWidth, numClasses, dim, depth, heads,
                    dimHead, pool, channels, ista, lambd);
        }
    }
}
