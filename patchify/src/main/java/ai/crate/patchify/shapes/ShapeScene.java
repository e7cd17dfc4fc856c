package ai.crate.patchify.shapes;

import java.util.SplittableRandom;

/**
 * Everything random about one picture: the class, the shape's centre, size and rotation (relative to the picture),
 * its colours, the background gradient, distractor blobs and the noise amplitude. Drawn from a seeded generator, so
 * the same seed always gives the same scene; {@link #moved} gives the scene a little later in a clip.
 */
public record ShapeScene(ShapeClass shape, double x, double y, double size, double angle, int colour,
                         int secondColour, int backgroundTop, int backgroundBottom, long blobSeed, double noise) {

    /** Largest noise amplitude in 8-bit levels (triangular noise, standard deviation amplitude/√6). */
    static final double MAX_NOISE = 6;

    /** A random scene; the shape lies inside the central {@code 1 − 2·margin} of the picture. */
    public static ShapeScene random(SplittableRandom random, ShapeClass shape, double margin) {
        int top = randomColour(random);
        int bottom = mix(top, randomColour(random), 0.5);
        int colour = contrasting(random, top, bottom);
        int second = contrasting(random, colour, colour);
        double size = 0.28 + random.nextDouble() * 0.22;
        double low = margin + size / 2;
        double x = low + random.nextDouble() * Math.max(0, 1 - 2 * low);
        double y = low + random.nextDouble() * Math.max(0, 1 - 2 * low);
        return new ShapeScene(shape, x, y, size, random.nextDouble() * 2 * Math.PI, colour, second, top, bottom,
                random.nextLong(), random.nextDouble() * MAX_NOISE);
    }

    /**
     * The same scene with the shape moved by ({@code dx}, {@code dy}) and turned by {@code turn}, kept inside the
     * central {@code 1 − 2·margin} of the picture.
     */
    public ShapeScene moved(double dx, double dy, double turn, double margin) {
        double low = margin + size / 2;
        double nx = Math.min(1 - low, Math.max(low, x + dx));
        double ny = Math.min(1 - low, Math.max(low, y + dy));
        return new ShapeScene(shape, nx, ny, size, angle + turn, colour, secondColour, backgroundTop,
                backgroundBottom, blobSeed, noise);
    }

    private static int randomColour(SplittableRandom random) {
        return (random.nextInt(256) << 16) | (random.nextInt(256) << 8) | random.nextInt(256);
    }

    /** A colour whose luminance differs from both references by at least a quarter of the range. */
    private static int contrasting(SplittableRandom random, int a, int b) {
        for (int attempt = 0; attempt < 100; attempt++) {
            int c = randomColour(random);
            if (Math.abs(luminance(c) - luminance(a)) > 64 && Math.abs(luminance(c) - luminance(b)) > 64) {
                return c;
            }
        }
        return luminance(a) > 128 ? 0x101010 : 0xF0F0F0;
    }

    static double luminance(int rgb) {
        return 0.299 * ((rgb >> 16) & 0xFF) + 0.587 * ((rgb >> 8) & 0xFF) + 0.114 * (rgb & 0xFF);
    }

    static int mix(int a, int b, double t) {
        int r = (int) Math.round(((a >> 16) & 0xFF) * (1 - t) + ((b >> 16) & 0xFF) * t);
        int g = (int) Math.round(((a >> 8) & 0xFF) * (1 - t) + ((b >> 8) & 0xFF) * t);
        int bl = (int) Math.round((a & 0xFF) * (1 - t) + (b & 0xFF) * t);
        return (r << 16) | (g << 8) | bl;
    }
}
