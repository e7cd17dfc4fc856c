package ai.crate.patchify.shapes;

import ai.crate.patchify.DecodedImage;

import java.util.SplittableRandom;

/**
 * A video of moving shapes with ground truth per frame: consecutive segments of {@code framesPerShape} frames each
 * show one random shape drifting and turning over its background; the class changes from segment to segment. Frames
 * are square and rendered like the {@link ShapesDataset} pictures, so a model trained on that set sees the same kind
 * of image after the pipeline's resize and centre crop. Deterministic in the seed; any frame can be rendered alone.
 */
public final class ShapesClip {
    private final long seed;
    private final int size;
    private final int framesPerShape;

    public ShapesClip(long seed, int size, int framesPerShape) {
        if (size < 16 || framesPerShape < 1) {
            throw new IllegalArgumentException("clips need frames of at least 16 pixels and at least one frame per"
                    + " shape, got " + size + " and " + framesPerShape);
        }
        this.seed = seed;
        this.size = size;
        this.framesPerShape = framesPerShape;
    }

    /** The class shown in frame {@code index}. */
    public ShapeClass shape(int index) {
        return start(index / framesPerShape).shape();
    }

    public int label(int index) {
        return shape(index).ordinal();
    }

    /** Frame {@code index}, {@code size}×{@code size}, BGR. */
    public DecodedImage frame(int index) {
        int segment = index / framesPerShape;
        SplittableRandom motion = new SplittableRandom(seed * 31 + segment * 0x9E3779B97F4A7C15L + 1);
        double dx = (motion.nextDouble() - 0.5) * 0.02;
        double dy = (motion.nextDouble() - 0.5) * 0.02;
        double turn = (motion.nextDouble() - 0.5) * 0.08;
        ShapeScene scene = start(segment);
        for (int step = 0; step < index % framesPerShape; step++) {
            scene = scene.moved(dx, dy, turn, ShapesDataset.MARGIN);
        }
        return ShapeRenderer.render(scene, size, size);
    }

    private ShapeScene start(int segment) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + segment * 7919L + 3);
        ShapeClass shape = ShapeClass.values()[random.nextInt(ShapeClass.values().length)];
        return ShapeScene.random(random, shape, ShapesDataset.MARGIN);
    }
}
