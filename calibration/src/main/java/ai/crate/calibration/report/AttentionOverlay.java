package ai.crate.calibration.report;

import ai.crate.runtime.bundle.Preprocessing;
import ai.crate.runtime.config.CrateConfig;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * Draws an input frame as the model saw it (the normalised tensor mapped back to RGB) with one head's attention from
 * the class token to each patch laid over it as a translucent heat map, red where the head looks.
 */
final class AttentionOverlay {
    private static final int MIN_SIDE = 160;

    private AttentionOverlay() {
    }

    /** The frame alone, {@code image [C, H, W]} at {@code offset}, scaled up to at least {@value #MIN_SIDE} pixels. */
    static BufferedImage frame(float[] images, int offset, CrateConfig config, Preprocessing preprocessing) {
        int h = config.imageHeight();
        int w = config.imageWidth();
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    int channel = Math.min(c, config.channels() - 1);
                    float v = images[offset + (channel * h + y) * w + x];
                    double value = (v * preprocessing.std()[channel] + preprocessing.mean()[channel]) * 255;
                    rgb = (rgb << 8) | (int) Math.max(0, Math.min(255, Math.round(value)));
                }
                image.setRGB(x, y, rgb);
            }
        }
        return scaled(image, scale(config));
    }

    /** The frame with {@code attention} (one value per patch, row-major over the patch grid) laid over it. */
    static BufferedImage overlay(BufferedImage frame, float[] attention, CrateConfig config) {
        int gridW = config.imageWidth() / config.patchWidth();
        int gridH = config.imageHeight() / config.patchHeight();
        float max = 0;
        for (float a : attention) {
            max = Math.max(max, a);
        }
        BufferedImage out = new BufferedImage(frame.getWidth(), frame.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.drawImage(frame, 0, 0, null);
        double cellW = (double) frame.getWidth() / gridW;
        double cellH = (double) frame.getHeight() / gridH;
        for (int gy = 0; gy < gridH; gy++) {
            for (int gx = 0; gx < gridW; gx++) {
                float level = max > 0 ? attention[gy * gridW + gx] / max : 0;
                g.setColor(new Color(1f, 0.1f, 0.1f, 0.7f * level));
                g.fillRect((int) Math.round(gx * cellW), (int) Math.round(gy * cellH),
                        (int) Math.ceil(cellW), (int) Math.ceil(cellH));
            }
        }
        g.dispose();
        return out;
    }

    private static int scale(CrateConfig config) {
        int side = Math.min(config.imageHeight(), config.imageWidth());
        return Math.max(1, (MIN_SIDE + side - 1) / side);
    }

    private static BufferedImage scaled(BufferedImage image, int factor) {
        if (factor == 1) {
            return image;
        }
        BufferedImage out = new BufferedImage(image.getWidth() * factor, image.getHeight() * factor,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, out.getWidth(), out.getHeight(), null);
        g.dispose();
        return out;
    }
}
