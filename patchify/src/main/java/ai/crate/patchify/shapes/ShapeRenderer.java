package ai.crate.patchify.shapes;

import ai.crate.patchify.ChannelOrder;
import ai.crate.patchify.DecodedImage;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Area;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.SplittableRandom;

/**
 * Draws a {@link ShapeScene} into an 8-bit BGR picture with Java2D (anti-aliased): a vertical gradient background,
 * a few soft distractor blobs, the shape (its texture for {@code STRIPES} and {@code CHECKER}), then noise.
 * Deterministic for a given scene and size.
 */
public final class ShapeRenderer {
    private ShapeRenderer() {
    }

    public static DecodedImage render(ShapeScene scene, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.setPaint(new GradientPaint(0, 0, new Color(scene.backgroundTop()), 0, height,
                    new Color(scene.backgroundBottom())));
            g.fillRect(0, 0, width, height);
            drawBlobs(g, scene, width, height);
            drawShape(g, scene, width, height);
        } finally {
            g.dispose();
        }
        byte[] pixels = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        addNoise(pixels, scene);
        return new DecodedImage(width, height, ChannelOrder.BGR, pixels);
    }

    private static void drawBlobs(Graphics2D g, ShapeScene scene, int width, int height) {
        SplittableRandom random = new SplittableRandom(scene.blobSeed());
        int blobs = random.nextInt(4);
        for (int i = 0; i < blobs; i++) {
            int tint = ShapeScene.mix(scene.backgroundTop(), random.nextInt(0x1000000), 0.25);
            g.setColor(new Color(tint));
            double r = (0.05 + random.nextDouble() * 0.12) * Math.min(width, height);
            g.fill(new Ellipse2D.Double(random.nextDouble() * width - r, random.nextDouble() * height - r, 2 * r,
                    2 * r));
        }
    }

    private static void drawShape(Graphics2D g, ShapeScene scene, int width, int height) {
        double scale = scene.size() * Math.min(width, height) / 2;
        AffineTransform place = new AffineTransform();
        place.translate(scene.x() * width, scene.y() * height);
        place.rotate(scene.angle());
        place.scale(scale, scale);
        Shape outline = place.createTransformedShape(unitShape(scene.shape()));
        Color colour = new Color(scene.colour());
        Color second = new Color(scene.secondColour());
        switch (scene.shape()) {
            case STRIPES -> fillTextured(g, outline, colour, second, place, true);
            case CHECKER -> fillTextured(g, outline, colour, second, place, false);
            default -> {
                g.setColor(colour);
                g.fill(outline);
            }
        }
    }

    /** Stripes or a checkerboard in the shape's own frame, clipped to it. */
    private static void fillTextured(Graphics2D g, Shape outline, Color colour, Color second, AffineTransform place,
                                     boolean stripes) {
        g.setColor(second);
        g.fill(outline);
        Shape savedClip = g.getClip();
        g.clip(outline);
        g.setColor(colour);
        int cells = 6;
        double cell = 2.0 / cells;
        Path2D.Double texture = new Path2D.Double();
        for (int i = 0; i < cells; i++) {
            for (int j = 0; j < cells; j++) {
                boolean on = stripes ? i % 2 == 0 : (i + j) % 2 == 0;
                if (on) {
                    texture.append(new Rectangle2D.Double(-1 + i * cell, -1 + j * cell, cell, cell), false);
                }
            }
        }
        g.fill(place.createTransformedShape(texture));
        g.setClip(savedClip);
    }

    /** The class's outline in a unit frame (about [−1, 1]²). */
    static Shape unitShape(ShapeClass shape) {
        return switch (shape) {
            case CIRCLE -> new Ellipse2D.Double(-1, -1, 2, 2);
            case RING -> {
                Area ring = new Area(new Ellipse2D.Double(-1, -1, 2, 2));
                ring.subtract(new Area(new Ellipse2D.Double(-0.55, -0.55, 1.1, 1.1)));
                yield ring;
            }
            case TRIANGLE -> polygon(3, 1.0, 1.0);
            case SQUARE, STRIPES, CHECKER -> new Rectangle2D.Double(-0.8, -0.8, 1.6, 1.6);
            case STAR -> polygon(5, 1.0, 0.42);
            case CROSS -> {
                Area cross = new Area(new Rectangle2D.Double(-1, -0.3, 2, 0.6));
                cross.add(new Area(new Rectangle2D.Double(-0.3, -1, 0.6, 2)));
                yield cross;
            }
            case CRESCENT -> {
                Area crescent = new Area(new Ellipse2D.Double(-1, -1, 2, 2));
                crescent.subtract(new Area(new Ellipse2D.Double(-0.45, -1.05, 2, 2)));
                yield crescent;
            }
            case ARROW -> {
                Path2D.Double arrow = new Path2D.Double();
                arrow.moveTo(-1, -0.25);
                arrow.lineTo(0.2, -0.25);
                arrow.lineTo(0.2, -0.7);
                arrow.lineTo(1, 0);
                arrow.lineTo(0.2, 0.7);
                arrow.lineTo(0.2, 0.25);
                arrow.lineTo(-1, 0.25);
                arrow.closePath();
                yield arrow;
            }
        };
    }

    /** A regular polygon ({@code inner == outer}) or star with {@code points} points. */
    private static Shape polygon(int points, double outer, double inner) {
        Path2D.Double path = new Path2D.Double();
        int corners = inner == outer ? points : 2 * points;
        for (int i = 0; i < corners; i++) {
            double radius = inner == outer || i % 2 == 0 ? outer : inner;
            double a = -Math.PI / 2 + 2 * Math.PI * i / corners;
            if (i == 0) {
                path.moveTo(radius * Math.cos(a), radius * Math.sin(a));
            } else {
                path.lineTo(radius * Math.cos(a), radius * Math.sin(a));
            }
        }
        path.closePath();
        return path;
    }

    /**
     * Triangular noise (the sum of two uniform 4-bit draws, scaled to the scene's amplitude): cheap, bounded, and
     * close enough to Gaussian for the purpose. One random int serves four pixel values.
     */
    private static void addNoise(byte[] pixels, ShapeScene scene) {
        if (scene.noise() <= 0) {
            return;
        }
        SplittableRandom random = new SplittableRandom(scene.blobSeed() ^ 0x5DEECE66DL);
        double scale = scene.noise() / 15.0;
        int bits = 0;
        for (int i = 0; i < pixels.length; i++) {
            if ((i & 3) == 0) {
                bits = random.nextInt();
            }
            int draw = ((bits >>> (8 * (i & 3))) & 15) + ((bits >>> (8 * (i & 3) + 4)) & 15) - 15;
            int value = (pixels[i] & 0xFF) + (int) Math.round(draw * scale);
            pixels[i] = (byte) Math.max(0, Math.min(255, value));
        }
    }
}
