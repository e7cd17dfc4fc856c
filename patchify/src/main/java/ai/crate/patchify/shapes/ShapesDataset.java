package ai.crate.patchify.shapes;

import ai.crate.patchify.DecodedImage;
import ai.crate.patchify.FastPreprocessor;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.runtime.train.TrainingSet;

import java.util.SplittableRandom;

/**
 * The {@code shapes} training set: image {@code i} is scene {@code i} of the seed, of class {@code i mod 10}, rendered
 * at {@code renderSize}² and prepared by the same {@link FastPreprocessor} as live frames, so the model sees in
 * training exactly what the pipeline feeds it. Images are rendered on demand (nothing is held in memory); different
 * seeds give disjoint scenes, which makes a held-out set.
 */
public final class ShapesDataset implements TrainingSet {
    /** Fraction of the picture kept clear at each edge, so the centre crop keeps the whole shape. */
    static final double MARGIN = 0.08;
    private final int size;
    private final long seed;
    private final int renderSize;
    private final PreprocessSpec spec;
    private final ThreadLocal<FastPreprocessor> preprocessors;
    private final ShapesDomain domain;

    public ShapesDataset(int size, long seed, int renderSize, PreprocessSpec spec) {
        this(size, seed, renderSize, spec, ShapesDomain.STANDARD);
    }

    /** As {@link #ShapesDataset(int, long, int, PreprocessSpec)}, the pictures as {@code domain} shows them. */
    public ShapesDataset(int size, long seed, int renderSize, PreprocessSpec spec, ShapesDomain domain) {
        if (size < 1) {
            throw new IllegalArgumentException("the shapes set needs at least one image, got " + size);
        }
        if (renderSize < 16) {
            throw new IllegalArgumentException("shapes are rendered at 16 pixels or more, got " + renderSize);
        }
        this.size = size;
        this.seed = seed;
        this.renderSize = renderSize;
        this.spec = spec;
        this.preprocessors = ThreadLocal.withInitial(() -> new FastPreprocessor(spec));
        this.domain = domain;
    }

    /**
     * Parses {@code shapes[:N[:SEED]]} or {@code shapes-shifted[:N[:SEED]]} (defaults: 10000 images, seed 1).
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static ShapesDataset parse(String text, int renderSize, PreprocessSpec spec) {
        String[] parts = text.split(":");
        ShapesDomain domain = null;
        for (ShapesDomain d : ShapesDomain.values()) {
            if (d.prefix().equals(parts[0])) {
                domain = d;
            }
        }
        if (domain == null || parts.length > 3) {
            throw new IllegalArgumentException("unknown dataset '" + text + "'; expected shapes, shapes:N,"
                    + " shapes:N:SEED or the same with shapes-shifted");
        }
        try {
            int n = parts.length > 1 ? Integer.parseInt(parts[1]) : 10_000;
            long s = parts.length > 2 ? Long.parseLong(parts[2]) : 1;
            return new ShapesDataset(n, s, renderSize, spec, domain);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("dataset '" + text + "': N and SEED must be whole numbers");
        }
    }

    /** The scene of image {@code index}. */
    public ShapeScene scene(int index) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
        return ShapeScene.random(random, ShapeClass.values()[index % ShapeClass.values().length], MARGIN);
    }

    /** Image {@code index} as rendered, before preprocessing. */
    public DecodedImage picture(int index) {
        return domain.apply(ShapeRenderer.render(scene(index), renderSize, renderSize));
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int imageFloats() {
        return spec.imageFloats();
    }

    @Override
    public void image(int index, float[] out, int offset) {
        preprocessors.get().preprocess(picture(index), out, offset);
    }

    @Override
    public int label(int index) {
        return index % ShapeClass.values().length;
    }

    @Override
    public String describe() {
        return domain.prefix() + ":" + size + ":" + seed;
    }
}
